import t from 'tap'
import { build, CALLER } from '../helpers/app.ts'
import { testDatabase } from '../helpers/db.ts'
import { verification, type Ask } from '../helpers/verifications.ts'
import type { Database, Executor } from '../../src/db/client.ts'
import { loadDemo } from '../../src/demo/demo.ts'

/** Two questions, so that a refusal could leave half an answer behind. */
const two = (idNumber: string, caseId = 'C-' + idNumber.slice(-6)): Ask =>
  ({ idNumber, caseId, questions: ['property.holds', { id: 'tax.paid_in_year', params: { year: 2025 } }] })

t.test('with the audit insert failing, every verification is 503 and no answer leaves', async (t) => {
  const { database, keyring, ask } = await build(t)
  const { people } = await loadDemo(database, keyring, 40)
  t.equal((await ask(CALLER, two(people[0]!.idNumber))).statusCode, 200, 'answers while the log works')

  await database.query(
    `create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`
  )
  await database.query(
    'create trigger refuse_audit before insert on audit_entries for each row execute function refuse_audit()'
  )
  const before = (await database.query<{ n: number }>('select count(*)::int as n from audit_entries'))[0]!.n
  const responses = await Promise.all(people.map(async (p) => await ask(CALLER, two(p.idNumber))))
  for (const res of responses) {
    t.equal(res.statusCode, 503)
    t.equal(res.json().code, 'AUDIT_UNAVAILABLE')
    t.notMatch(res.body, /"answer"|"yes"|"no"/, 'the body carries no answer')
  }
  t.equal(
    (await database.query<{ n: number }>('select count(*)::int as n from audit_entries'))[0]!.n,
    before,
    'nothing was written'
  )

  await database.query('drop trigger refuse_audit on audit_entries')
  t.equal((await ask(CALLER, two(people[1]!.idNumber))).statusCode, 200, 'answers again once the log can be written')
})

/**
 * The database behind a gate: while it is shut, every query and transaction waits for it to open,
 * so a request that has reached the service cannot be answered (no answer leaves without its audit
 * entry, which needs the database).
 */
function gated (database: Database): { database: Database, shut: () => void, open: () => void } {
  let gate: Promise<void> | null = null
  let release = (): void => {}
  const wait = async (): Promise<void> => { while (gate !== null) await gate }
  const through = (executor: Executor): Executor => ({
    async query (text, params) {
      await wait()
      return await executor.query(text, params)
    }
  })
  return {
    database: {
      ...database,
      query: through(database).query,
      relaxed: through(database.relaxed),
      async transaction (fn) {
        await wait()
        return await database.transaction(fn)
      },
      copyIn: database.copyIn.bind(database),
      close: database.close.bind(database)
    },
    shut () { gate = new Promise((resolve) => { release = resolve }) },
    open () { gate = null; release() }
  }
}

t.test('close finishes every verification in flight and flushes its entry; new requests are refused', async (t) => {
  const raw = await testDatabase(t)
  const { database, shut, open } = gated(raw)
  const { app, keyring, token } = await build(t, { database })
  const { people } = await loadDemo(raw, keyring, 30)
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  let received = 0
  let answered = 0
  app.server.on('request', (_req, res) => {
    received++
    res.on('finish', () => { answered++ })
  })
  const post = async (
    idNumber: string
  ): Promise<{ status: number, body: { answers?: Array<{ auditIndex: number }> } }> => {
    try {
      const res = await fetch(url + '/v1/verifications', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + token(CALLER), 'content-type': 'application/json' },
        body: JSON.stringify(verification(two(idNumber)))
      })
      return { status: res.status, body: (await res.json()) as { answers?: Array<{ auditIndex: number }> } }
    } catch {
      return { status: 0, body: {} }
    }
  }
  shut()
  const inflight = people.map(async (p) => await post(p.idNumber))
  while (received < people.length) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(answered, 0, `all ${received} requests have reached the service, none answered yet: close now`)
  const closed = app.close()
  while (app.server.listening) await new Promise((resolve) => setImmediate(resolve))
  const late = await post(people[0]!.idNumber)
  t.not(late.status, 200, `a request sent after close began is not answered (${late.status})`)
  open()
  const started = Date.now()
  await closed
  t.ok(Date.now() - started < 20_000, 'close does not wait for keep-alive connections to time out')
  const responses = await Promise.all(inflight)
  t.same(
    responses.map((r) => r.status),
    people.map(() => 200),
    `all ${people.length} requests in flight when close began are answered`
  )
  const indices = responses.flatMap((r) => r.body.answers!.map((a) => a.auditIndex))
  t.equal(indices.length, 2 * people.length, 'two answers each')
  const rows = await raw.query<{ index: number }>('select index from audit_entries where index = any($1::bigint[])', [
    indices
  ])
  t.equal(rows.length, indices.length, 'every answer given has its committed entry')
})
