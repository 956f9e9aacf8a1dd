/** GET /v1/audit/summary: counts of answers by day, caller, purpose and question, for auditors. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { summarise } from '../../../../audit/summary.ts'
import { Strict, withErrors } from '../../../schemas/common.ts'

const Count = Type.Object({
  key: Type.String({ description: 'the day (YYYY-MM-DD, Beijing time), caller, purpose or question id' }),
  count: Type.Integer({ description: 'answers' }),
  yes: Type.Integer(),
  no: Type.Integer()
})

const summary: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/summary', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit'],
      description: 'Counts of the answers with `at` in [from, to) (RFC 3339; default the 30 days up to now, ' +
        'at most 366 days): by day in Beijing time, by caller, by purpose and by question.',
      querystring: Type.Object({
        from: Type.Optional(Type.String({ maxLength: 40 })),
        to: Type.Optional(Type.String({ maxLength: 40 }))
      }, Strict),
      response: withErrors({
        200: Type.Object({
          from: Type.String(),
          to: Type.String(),
          total: Type.Integer(),
          days: Type.Array(Count, { description: 'only days with answers, oldest first' }),
          callers: Type.Array(Count, { description: 'most answers first' }),
          purposes: Type.Array(Count, { description: 'most answers first' }),
          questions: Type.Array(Count, { description: 'most answers first' })
        })
      })
    }
  }, async (request) => await summarise(app.database, request.query))
}

export default summary
