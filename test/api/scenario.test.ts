import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { loadDemo, DEMO_CLIENT } from '../../src/demo/demo.ts'

t.test('demo scenario: ask, audit, search', async (t) => {
  const { database, keyring, as, ask, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 300)
  const person = people[0]!

  const list = await as(CALLER)('GET', '/v1/questions')
  t.equal(list.statusCode, 200)
  t.equal(list.json().questions.length, 6)

  const res = await ask(CALLER, {
    idNumber: person.idNumber,
    name: person.name,
    questions: ['identity.name_matches', { id: 'tax.paid_in_year', params: { year: 2025 } }, 'property.holds'],
    caseId: 'HS-2026-0001'
  })
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.equal(body.answers[0].answer, 'yes', 'name matches its own ID')
  t.match(body.answers[0].asOf, /^\d{4}-\d{2}-\d{2}$/)

  const wrongName = await verified(CALLER, {
    idNumber: person.idNumber,
    name: person.name + '伟',
    caseId: 'HS-2026-0001'
  })
  t.equal(wrongName.answers[0]!.answer, 'no')

  const entries = await as(AUDITOR)('GET', '/v1/audit/entries?kind=answer&caller=' + DEMO_CLIENT)
  t.equal(entries.statusCode, 200, entries.body)
  t.equal(entries.json().entries.length, 4)

  const search = await as(AUDITOR)('POST', '/v1/audit/subject-search', {
    idNumber: person.idNumber,
    reason: 'Complaint 42 review'
  })
  t.equal(search.statusCode, 200, search.body)
  t.equal(search.json().entries.filter((e: { kind: string }) => e.kind === 'answer').length, 4)

  const denied = await ask(ADMIN, { idNumber: person.idNumber, caseId: 'x' })
  t.equal(denied.statusCode, 403)
  t.equal(denied.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal(denied.json().code, 'FORBIDDEN')
  // The auditor sees the refused attempt: who tried, and why it was refused.
  const refusals = await as(AUDITOR)('GET', '/v1/audit/entries?kind=refusal')
  t.match(refusals.json().entries, [{ kind: 'refusal', code: 'FORBIDDEN', actor: { sub: ADMIN.sub, role: 'admin' } }],
    'the refusal is in the audit log')
})
