/** /v1/clients: the approval systems allowed to ask, with their questions, purposes and limits (design §5, admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  createClient, deactivateClient, getClient, listClients, setClientLimits, updateClient
} from '../../../../registry/store.ts'
import type { ClientRow } from '../../../../db/schema/index.ts'
import { withErrors } from '../../../schemas/common.ts'
import { Client, ClientBody, ClientLimits, ClientUpdate, IdParams } from '../../../schemas/registry.ts'

const admin = { roles: ['admin'] as const }
const tags = ['admin']

function view (c: ClientRow): Static<typeof Client> {
  return {
    id: c.id,
    name: c.name,
    organisation: c.organisation,
    questions: c.questions,
    purposes: c.purposes,
    quotas: c.quotas,
    confidential: c.confidential,
    autoSuspend: c.autoSuspend,
    disclosureDelaySeconds: c.disclosureDelaySeconds,
    active: c.active
  }
}

const clients: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app
  const changes = app.registryChanges

  app.post('', {
    config: admin,
    schema: { tags, body: ClientBody, response: withErrors({ 201: Client }, 409) }
  }, async (request, reply) => {
    await createClient(changes, request.principal!, request.body)
    return reply.code(201).send(view(await getClient(database, request.body.id)))
  })

  app.get('', {
    config: admin,
    schema: { tags, response: withErrors({ 200: Type.Object({ clients: Type.Array(Client) }) }) }
  }, async () => ({ clients: (await listClients(database)).map(view) }))

  app.get('/:id', {
    config: admin,
    schema: { tags, params: IdParams, response: withErrors({ 200: Client }, 404) }
  }, async (request) => view(await getClient(database, request.params.id)))

  app.put('/:id', {
    config: admin,
    schema: { tags, params: IdParams, body: ClientUpdate, response: withErrors({ 200: Client }, 404) }
  }, async (request) => {
    await updateClient(changes, request.principal!, request.params.id, request.body)
    return view(await getClient(database, request.params.id))
  })

  app.put('/:id/quotas', {
    config: admin,
    schema: {
      tags,
      description: 'Sets a client\'s limits (requestsPerMinute, subjectsPerDay, subjectsPerCase, ' +
        'namesPerSubjectPerDay; omitted ones take the defaults 600, 500, 20, 3) and whether detectors may ' +
        'suspend it. Every change is an audit entry.',
      params: IdParams,
      body: ClientLimits,
      response: withErrors({ 200: Client }, 404)
    }
  }, async (request) => {
    await setClientLimits(changes, request.principal!, request.params.id, request.body)
    return view(await getClient(database, request.params.id))
  })

  app.delete('/:id', {
    config: admin,
    schema: { tags, params: IdParams, response: withErrors({ 204: Type.Null() }, 404) }
  }, async (request, reply) => {
    await deactivateClient(changes, request.principal!, request.params.id)
    return reply.code(204).send(null)
  })
}

export default clients
