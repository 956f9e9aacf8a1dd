/**
 * /v1/purposes (design §14.4): purpose codes registered with their titles in Chinese and English,
 * so that certificates, pages and the citizen's access log say 住房补贴申请 rather than
 * `housing-subsidy`. Admins register and retitle them; every signed-in role may read the list. A
 * code a client lists without registering it stays valid and shows as its code.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@fastify/type-provider-typebox'
import { createPurpose, listPurposes, updatePurpose } from '../../../../registry/store.ts'
import type { PurposeRow } from '../../../../db/schema/index.ts'
import { withErrors } from '../../../schemas/common.ts'
import { Created, PurposeBody, PurposeParams, PurposeUpdate, PurposeView } from '../../../schemas/registry.ts'

const tags = ['admin']

function view (p: PurposeRow): Static<typeof PurposeView> {
  return { id: p.id, titles: p.titles, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() }
}

const purposes: FastifyPluginAsyncTypebox = async (app) => {
  const changes = app.registryChanges

  app.post('', {
    config: { roles: ['admin'] },
    schema: {
      tags,
      description: 'Registers a purpose code with its titles, e.g. {"id": "housing-subsidy", "titles": ' +
        '{"zh": "住房补贴申请", "en": "Housing subsidy application"}}.',
      body: PurposeBody,
      response: withErrors({ 201: PurposeView }, 409)
    }
  }, async (request, reply) => {
    return reply.code(201).send(view(await createPurpose(changes, request.principal!, request.body)))
  })

  app.get('', {
    config: { roles: ['admin', 'auditor', 'dept_admin', 'caller', 'subject'] },
    schema: {
      tags,
      description: 'The registered purposes and their titles.',
      response: withErrors({ 200: Type.Object({ purposes: Type.Array(PurposeView) }) })
    }
  }, async () => ({ purposes: (await listPurposes(app.database)).map(view) }))

  app.put('/:id', {
    config: { roles: ['admin'] },
    schema: {
      tags,
      description: 'Replaces a registered purpose\'s titles.',
      params: PurposeParams,
      body: PurposeUpdate,
      response: withErrors({ 200: Created }, 404)
    }
  }, async (request) => {
    await updatePurpose(changes, request.principal!, request.params.id, request.body)
    return { id: request.params.id }
  })
}

export default purposes
