/**
 * GET /v1/clients/me (design §14.6): a caller reads its own registration — the questions and
 * purposes it may use, its limits — and today's usage, so that it can tell why it was refused and
 * what to ask the operator for. The registration holds no secret.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ShifouError } from '../../../../errors.ts'
import { usageOf } from '../../../../abuse/usage.ts'
import { withErrors } from '../../../schemas/common.ts'
import { ClientSelf } from '../../../schemas/registry.ts'

const me: FastifyPluginAsyncTypebox = async (app) => {
  const { database, registry } = app

  app.get('/me', {
    config: { roles: ['caller'] },
    schema: {
      tags: ['verifications'],
      description: 'The calling client\'s registration — the questions it may ask (active ones), its purposes, ' +
        'its limits — and its usage as the limits count it: requests this minute, distinct people today (China ' +
        'Standard Time). Changes are made by the platform operator.',
      response: withErrors({ 200: ClientSelf })
    }
  }, async (request) => {
    const sub = request.principal!.sub
    const state = await registry.current()
    const client = state.clients.get(sub)
    if (client === undefined || !client.active) {
      throw new ShifouError('CLIENT_INACTIVE', 'This client is not registered or not active')
    }
    return {
      id: client.id,
      name: client.name,
      organisation: client.organisation,
      questions: [...client.questions].filter((id) => state.questions.has(id)).sort(),
      purposes: [...client.purposes].sort(),
      quotas: client.quotas,
      confidential: client.confidential,
      disclosureDelaySeconds: client.disclosureDelaySeconds,
      active: client.active,
      usage: await usageOf(database, client.id, new Date())
    }
  })
}

export default me
