/** GET /v1/audit/alerts: what the abuse detectors raised (design §10), for auditors. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { acknowledgeAlert, listAlerts } from '../../../../abuse/alerts.ts'
import { parseInstant } from '../../../../instant.ts'
import { ShifouError } from '../../../../errors.ts'
import { Strict, withErrors } from '../../../schemas/common.ts'

const Alert = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  kind: Type.String({
    description: 'UNKNOWN_SUBJECTS, ORG_UNKNOWN_SUBJECTS, PREFIX_PROBE, NAME_GUESSING or QUOTA_EXCEEDED'
  }),
  client: Type.Union([Type.String(), Type.Null()]),
  organisation: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown(), { description: 'counts and thresholds; never an identifier' }),
  suspended: Type.Boolean({ description: 'the client was suspended because of this alert' }),
  acknowledged: Type.Union([
    Type.Object({ at: Type.String(), by: Type.String({ description: 'the acknowledging auditor\'s sub' }) }),
    Type.Null()
  ], { description: 'null while no auditor has acknowledged it' })
})

const alerts: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/alerts', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit'],
      querystring: Type.Object({
        client: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' })),
        kind: Type.Optional(Type.String({ pattern: '^[A-Z_]{1,40}$' })),
        since: Type.Optional(Type.String({ maxLength: 40 })),
        limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
        cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' }))
      }, Strict),
      response: withErrors({
        200: Type.Object({ alerts: Type.Array(Alert), next: Type.Union([Type.String(), Type.Null()]) })
      })
    }
  }, async (request) => {
    const { limit, cursor, since, ...filter } = request.query
    const n = limit === undefined ? 100 : Number(limit)
    if (n < 1 || n > 1000) throw new ShifouError('INVALID_QUERY', 'limit must be between 1 and 1000')
    const where = { ...filter, ...(since === undefined ? {} : { since: parseInstant('since', since) }) }
    return await listAlerts(app.database, where, n, Number(cursor ?? 0))
  })

  app.post('/alerts/:id/acknowledge', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit'],
      description: 'Acknowledges an alert: recorded on the alert and as an audit entry (kind change). ' +
        'Acknowledging it again changes nothing.',
      params: Type.Object({ id: Type.String({ pattern: '^[0-9]{1,16}$' }) }, Strict),
      response: withErrors({ 200: Alert }, 404)
    }
  }, async (request) => await acknowledgeAlert(app.database, Number(request.params.id), request.principal!))
}

export default alerts
