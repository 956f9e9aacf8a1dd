/** /v1/audit/entries: the audit log for auditors (design §5 "Auditor"), and one entry with its canonical bytes. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listEntries } from '../../../../audit/query.ts'
import { withErrors } from '../../../schemas/common.ts'
import { EntriesPage, EntriesQuery } from '../../../schemas/audit.ts'
import { EntryWithLeaf, IndexParams } from '../../../schemas/log.ts'
import { b64, entryView, readableEntry } from './entry-view.ts'

const tags = ['audit']

const entries: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app

  app.get('/entries', {
    config: { roles: ['auditor'] },
    schema: { tags, querystring: EntriesQuery, response: withErrors({ 200: EntriesPage }) }
  }, async (request) => {
    const { limit, cursor, order, ...filter } = request.query
    // Case ids are logged in NFC (design §14.6): a filter in another normal form finds them too.
    if (filter.caseId !== undefined) filter.caseId = filter.caseId.normalize('NFC')
    const page = await listEntries(database, filter, Number(limit ?? 100),
      cursor === undefined ? null : Number(cursor), order ?? 'asc')
    return { entries: page.entries.map(entryView), next: page.next }
  })

  app.get('/entries/:index', {
    config: { roles: ['auditor', 'caller'] },
    schema: { tags: ['audit log'], params: IndexParams, response: withErrors({ 200: EntryWithLeaf }, 404) }
  }, async (request) => {
    const stored = await readableEntry(database, request.principal!, Number(request.params.index))
    return { entry: entryView(stored.entry), leaf: b64(stored.bytes), leafHash: b64(stored.leafHash) }
  })
}

export default entries
