/** Operations endpoints (design §5 "Operations"): liveness and readiness. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { ShifouError } from '../../errors.ts'

const Status = Type.Object({ status: Type.String() })
const ProblemRef = Type.Unsafe<Record<string, unknown>>({ $ref: 'Problem#' })

/** /readyz answers within 2 s whatever the database does (design §14.5). */
const READY_DEADLINE_MS = 1500

const ops: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', {
    config: { roles: 'public' },
    schema: { tags: ['operations'], response: { 200: Status } }
  }, async () => ({ status: 'ok' }))

  app.get('/readyz', {
    config: { roles: 'public' },
    schema: {
      tags: ['operations'],
      description: 'Ready when the database answers (within 1.5 s); otherwise 503 DATABASE_UNAVAILABLE.',
      response: { 200: Status, 503: ProblemRef }
    }
  }, async () => {
    try {
      await app.database.query('select 1 from audit_entries limit 1', [], { deadlineMs: READY_DEADLINE_MS })
    } catch {
      throw new ShifouError('DATABASE_UNAVAILABLE', 'The database is not answering')
    }
    return { status: 'ready' }
  })
}

export default ops
