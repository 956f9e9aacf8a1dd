/** The audit log for auditors (design §5 "Auditor"). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listEntries } from '../../../audit/query.ts'
import type { Entry } from '../../../audit/entry.ts'
import { normaliseIdNumber, todayCst } from '../../../matchers/cn-resident-id.ts'
import { ShifouError } from '../../../errors.ts'
import { actorOf } from '../../../principal.ts'
import { withErrors } from '../../schemas/common.ts'
import { EntriesPage, EntriesQuery, SubjectSearchBody } from '../../schemas/audit.ts'

export function entryView (e: Entry): Record<string, unknown> {
  return {
    index: e.index,
    at: e.at,
    kind: e.kind,
    actor: e.actor,
    caller: e.caller ?? null,
    question: e.question ?? null,
    params: e.params ?? null,
    purpose: e.purpose ?? null,
    caseId: e.caseId ?? null,
    answer: e.answer ?? null,
    code: e.code ?? null,
    subject: e.subject ?? null,
    verification: e.verification ?? null,
    snapshot: e.snapshot ?? null,
    asOf: e.asOf ?? null,
    keyVersion: e.keyVersion ?? null,
    norm: e.norm ?? null,
    consent: e.consent ?? null,
    receiptKid: e.receiptKid ?? null,
    detail: e.detail ?? null
  }
}

const audit: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring } = app.services
  const tags = ['audit']

  app.get('/v1/audit/entries', {
    config: { roles: ['auditor'] },
    schema: { tags, querystring: EntriesQuery, response: withErrors({ 200: EntriesPage }) }
  }, async (request) => {
    const { limit, cursor, ...filter } = request.query
    const page = await listEntries(database, filter, limit === undefined ? 100 : Number(limit), cursor === undefined ? 0 : Number(cursor))
    return { entries: page.entries.map(entryView) as never, next: page.next }
  })

  app.post('/v1/audit/subject-search', {
    config: { roles: ['auditor'] },
    bodyLimit: 16 * 1024,
    schema: {
      tags,
      description: 'Finds the entries about one subject by ID number, with a stated reason. The search itself is an audit entry, committed before the results are returned.',
      body: SubjectSearchBody,
      response: withErrors({ 200: EntriesPage })
    }
  }, async (request) => {
    const id = normaliseIdNumber(request.body.idNumber, todayCst())
    if (!id.ok) throw new ShifouError('INVALID_ID_NUMBER', 'idNumber is not a valid resident ID number')
    const subject = keyring.audit.pseudonym(id.value)
    await app.services.audit.append([{ kind: 'subject-search', actor: actorOf(request.principal!), subject, detail: { reason: request.body.reason } }])
    const page = await listEntries(database, { subject }, request.body.limit ?? 100, request.body.cursor ?? 0)
    return { entries: page.entries.map(entryView) as never, next: page.next }
  })
}

export default audit
