/** Operations endpoints (design §5 "Operations"): liveness and readiness. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'

const Status = Type.Object({ status: Type.String() })

const ops: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    config: { roles: 'public' },
    schema: { tags: ['operations'], response: { 200: Status } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    config: { roles: 'public' },
    schema: { tags: ['operations'], response: { 200: Status, 503: Status } }
  }, async (_request, reply) => {
    try {
      await app.database.query('select 1 from audit_entries limit 1')
      return { status: 'ready' }
    } catch {
      return reply.code(503).send({ status: 'database unavailable' })
    }
  })
}

export default ops
