import t from 'tap'
import { build, ADMIN, AUDITOR } from '../helpers/app.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'

const CALLER = { sub: DEMO_CLIENT, role: 'caller' as const }

t.test('demo scenario: ask, audit, search', async (t) => {
  const { database, keyring, as, app } = await build(t)
  const { people } = await loadDemo(database, keyring, 300)
  const caller = as(CALLER)
  const person = people[0]!

  const list = await caller('GET', '/v1/questions')
  t.equal(list.statusCode, 200)
  t.equal(list.json().questions.length, 6)

  const res = await caller('POST', '/v1/verifications', {
    subject: { idNumber: person.idNumber, name: person.name },
    questions: [{ id: 'identity.name_matches' }, { id: 'tax.paid_in_year', params: { year: 2025 } }, { id: 'property.holds' }],
    purpose: DEMO_PURPOSE,
    caseId: 'HS-2026-0001'
  })
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.equal(body.answers[0].answer, 'yes', 'name matches its own ID')
  t.match(body.answers[0].asOf, /^\d{4}-\d{2}-\d{2}$/)

  const wrongName = await caller('POST', '/v1/verifications', {
    subject: { idNumber: person.idNumber, name: person.name + '伟' },
    questions: [{ id: 'identity.name_matches' }],
    purpose: DEMO_PURPOSE,
    caseId: 'HS-2026-0001'
  })
  t.equal(wrongName.json().answers[0].answer, 'no')

  const entries = await as(AUDITOR)('GET', '/v1/audit/entries?kind=answer&caller=' + DEMO_CLIENT)
  t.equal(entries.statusCode, 200, entries.body)
  t.equal(entries.json().entries.length, 4)

  const search = await as(AUDITOR)('POST', '/v1/audit/subject-search', { idNumber: person.idNumber, reason: 'Complaint 42 review' })
  t.equal(search.statusCode, 200, search.body)
  t.equal(search.json().entries.filter((e: { kind: string }) => e.kind === 'answer').length, 4)

  const denied = await as(ADMIN)('POST', '/v1/verifications', { subject: { idNumber: person.idNumber }, questions: [{ id: 'property.holds' }], purpose: DEMO_PURPOSE, caseId: 'x' })
  t.equal(denied.statusCode, 403)
  t.equal(denied.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.ok(app)
})
