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
        'The export is itself an audit entry; an export that fails once streaming is cut short (no complete ' +
        'response) and recorded by a second entry with code EXPORT_FAILED.',
      querystring: ExportQuery,
      response: withErrors({ 200: Type.String({ description: 'application/x-ndjson or text/csv, streamed' }) })
    }
  }, async (request, reply) => {
    const { format, from, to } = request.query
    const filter = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }
    const rows = exportEntries(database, format, filter)
    // The first page is read before the export is logged and streamed: a filter or a query that
    // fails is a refusal (4xx/5xx) with no export entry, not a 200 with an empty file.
    const first = await rows.next()
    const detail = { format, from: from ?? null, to: to ?? null }
    const actor = actorOf(request.principal!)
    await audit.append([{ kind: 'export', actor, detail }])
    const log = request.log
    async function * body (): AsyncGenerator<string> {
      let chunks = 0
      try {
        if (first.done !== true) yield first.value
        for await (const chunk of rows) {
          chunks++
          yield chunk
        }
      } catch (err) {
        // Once streaming, the status is sent: the export that did not finish is said to have failed
        // in the log, the audit log (after the entry that opened it), and to the client by a
        // response cut short (no last chunk), never as a complete file.
        log.error({ errName: (err as Error).name, chunks: chunks + 1 }, 'audit export failed while streaming')
        await audit.append([{ kind: 'export', actor, code: 'EXPORT_FAILED', detail }]).catch(() => {
          log.error('the failed export could not be written to the audit log')
        })
        throw err
      }
    }
    reply.type(format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
    return reply.send(Readable.from(body()))
  })
}

export default exporter
