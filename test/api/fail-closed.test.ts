import t from 'tap'
import { build } from '../helpers/app.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'

const CALLER = { sub: DEMO_CLIENT, role: 'caller' as const }
const ask = (idNumber: string, caseId = 'C-1'): Record<string, unknown> => ({
  subject: { idNumber }, questions: [{ id: 'property.holds' }, { id: 'tax.paid_in_year', params: { year: 2025 } }], purpose: DEMO_PURPOSE, caseId
})

t.test('with the audit insert failing, every verification is 503 and no answer leaves', async (t) => {
  const { database, keyring, as } = await build(t)
  const { people } = await loadDemo(database, keyring, 40)
  const caller = as(CALLER)
  t.equal((await caller('POST', '/v1/verifications', ask(people[0]!.idNumber))).statusCode, 200, 'answers while the log works')

  await database.query(`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`)
  await database.query('create trigger refuse_audit before insert on audit_entries for each row execute function refuse_audit()')
  const before = (await database.query<{ n: number }>('select count(*)::int as n from audit_entries'))[0]!.n
  const responses = await Promise.all(people.map(async (p) => await caller('POST', '/v1/verifications', ask(p.idNumber, 'C-' + p.idNumber.slice(-6)))))
  for (const res of responses) {
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'AUDIT_UNAVAILABLE')
    t.notMatch(res.body, /"answer"|"yes"|"no"/, 'the body carries no answer')
  }
  t.equal((await database.query<{ n: number }>('select count(*)::int as n from audit_entries'))[0]!.n, before, 'nothing was written')

  await database.query('drop trigger refuse_audit on audit_entries')
  t.equal((await caller('POST', '/v1/verifications', ask(people[1]!.idNumber))).statusCode, 200, 'answers again once the log can be written')
})

t.test('close finishes in-flight verifications and flushes their entries', async (t) => {
  const { app, database, keyring, token } = await build(t)
  const { people } = await loadDemo(database, keyring, 30)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const bearer = token(CALLER)
  let firstDone: () => void = () => {}
  const first = new Promise<void>((resolve) => { firstDone = resolve })
  const inflight = people.map(async (p) => {
    try {
      const res = await fetch(url + '/v1/verifications', { method: 'POST', headers: { authorization: 'Bearer ' + bearer, 'content-type': 'application/json' }, body: JSON.stringify(ask(p.idNumber, 'C-' + p.idNumber.slice(-6))) })
      return { status: res.status, body: await res.json() as { answers?: Array<{ auditIndex: number }> } }
    } catch {
      return { status: 0, body: {} }
    } finally {
      firstDone()
    }
  })
  // Close while the other requests are still being answered.
  await first
  await app.close()
  const responses = await Promise.all(inflight)
  const answered = responses.filter((r) => r.status === 200)
  t.ok(answered.length > 1, `${answered.length} of ${responses.length} requests answered, most of them after close began`)
  for (const r of responses) t.ok(r.status === 200 || r.status === 503 || r.status === 0, 'answered, refused or not accepted; never an answer without its entry')
  const indices = answered.flatMap((r) => r.body.answers!.map((a) => a.auditIndex))
  const rows = await database.query<{ index: number }>('select index from audit_entries where index = any($1::bigint[])', [indices])
  t.equal(rows.length, indices.length, 'every answer given has its committed entry')
})
