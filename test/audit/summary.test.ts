/** GET /v1/audit/summary: answers counted by day (Beijing time), caller, purpose and question. */
import t from 'tap'
import { build, AUDITOR, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'

t.test('the summary counts answers and nothing else', async (t) => {
  const { database, keyring, as, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 10)
  for (const p of people.slice(0, 3)) {
    const questions = ['identity.name_matches', 'property.none']
    await verified(CALLER, { idNumber: p.idNumber, questions, name: p.name })
  }
  await verified(CALLER, { idNumber: people[0]!.idNumber, questions: ['property.holds'] })
  const res = await as(AUDITOR)('GET', '/v1/audit/summary')
  t.equal(res.statusCode, 200, res.body)
  const s = res.json()
  const [row] = await database.query<{ n: string }>("select count(*) as n from audit_entries where kind = 'answer'")
  t.equal(s.total, Number(row!.n), 'every answer, once')
  t.ok(s.total >= 7, `the answers given (${s.total})`)
  const beijing = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10)
  t.same(s.days.map((d: { key: string }) => d.key), [beijing], 'today, in Beijing')
  t.equal(s.callers[0].key, CALLER.sub)
  t.equal(s.callers[0].count, s.total)
  const byQuestion = Object.fromEntries(s.questions.map((q: { key: string, count: number }) => [q.key, q.count]))
  t.equal(byQuestion['property.holds'], 1)
  t.equal(byQuestion['property.none'], 3)
  for (const c of [...s.days, ...s.callers, ...s.purposes, ...s.questions]) t.equal(c.yes + c.no, c.count, c.key)
  t.notMatch(res.body, people[0]!.idNumber, 'no ID number')

  const empty = (await as(AUDITOR)('GET', '/v1/audit/summary?from=2020-01-01T00:00:00Z&to=2020-02-01T00:00:00Z')).json()
  t.same([empty.total, empty.days], [0, []], 'a range with no answers')
  const refusals: Array<[string, string]> = [['from=2026-02-30T00:00:00Z', 'no such day'],
    ['from=2020-01-01T00:00:00Z&to=2021-06-01T00:00:00Z', 'more than 366 days'],
    ['from=2021-01-02T00:00:00Z&to=2021-01-01T00:00:00Z', 'from after to']]
  for (const [q, why] of refusals) {
    const bad = await as(AUDITOR)('GET', '/v1/audit/summary?' + q)
    t.equal(bad.statusCode, 400, why)
    t.equal(bad.json().code, 'INVALID_QUERY', why)
  }
  t.equal((await as(CALLER)('GET', '/v1/audit/summary')).statusCode, 403, 'auditors only')
})
