/** GET /v1/audit/export: entries streamed as JSON Lines or CSV (design §5 "Auditor"), itself an audit entry. */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { exportEntries } from '../../../../audit/query.ts'
import { actorOf } from '../../../../principal.ts'
import { withErrors } from '../../../schemas/common.ts'
import { ExportQuery } from '../../../schemas/log.ts'

const exporter: FastifyPluginAsyncTypebox = async (app) => {
  const { database, audit } = app

  app.get('/export', {
    config: { roles: ['auditor'] },
    schema: {
      tags: ['audit log'],
      description: 'Streams entries with `at` in [from, to): JSON Lines (each line an entry\'s canonical bytes) ' +
        'or CSV. ' +
        'The export is itself an audit entry.',
      querystring: ExportQuery,
      response: withErrors({ 200: Type.String({ description: 'application/x-ndjson or text/csv, streamed' }) })
    }
  }, async (request, reply) => {
    const { format, from, to } = request.query
    const filter = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }
    const rows = exportEntries(database, format, filter)
    // Check the filter (the first chunk validates it) before the export is logged and streamed.
    const first = await rows.next()
    const detail = { format, from: from ?? null, to: to ?? null }
    await audit.append([{ kind: 'export', actor: actorOf(request.principal!), detail }])
    async function * body (): AsyncGenerator<string> {
      if (first.done !== true) yield first.value
      yield * rows
    }
    reply.type(format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
    return reply.send(Readable.from(body()))
  })
}

export default exporter
