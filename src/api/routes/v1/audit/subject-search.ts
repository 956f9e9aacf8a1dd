/**
 * POST /v1/audit/subject-search: the entries about one subject, found by ID number with a stated
 * reason (design §5 "Auditor"). The search is itself an audit entry, committed before the results
 * are returned; the ID number is used only to compute the audit pseudonym.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listEntries } from '../../../../audit/query.ts'
import { normaliseIdNumber, todayCst } from '../../../../matchers/cn-resident-id.ts'
import { ShifouError } from '../../../../errors.ts'
import { actorOf } from '../../../../principal.ts'
import { withErrors } from '../../../schemas/common.ts'
import { EntriesPage, SubjectSearchBody } from '../../../schemas/audit.ts'
import { entryView } from './entry-view.ts'

const subjectSearch: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, audit } = app

  app.post('/subject-search', {
    config: { roles: ['auditor'] },
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['audit'],
      description: 'Finds the entries about one subject by ID number, with a stated reason. The search itself ' +
        'is an audit entry, committed before the results are returned.',
      body: SubjectSearchBody,
      response: withErrors({ 200: EntriesPage })
    }
  }, async (request) => {
    const id = normaliseIdNumber(request.body.idNumber, todayCst())
    if (!id.ok) throw new ShifouError('INVALID_ID_NUMBER', 'idNumber is not a valid resident ID number')
    const subject = keyring.audit.pseudonym(id.value)
    const detail = { reason: request.body.reason }
    await audit.append([{ kind: 'subject-search', actor: actorOf(request.principal!), subject, detail }])
    const page = await listEntries(database, { subject }, request.body.limit ?? 100, request.body.cursor ?? 0)
    return { entries: page.entries.map(entryView), next: page.next }
  })
}

export default subjectSearch
