import t from 'tap'
import postgres from 'postgres'
import { build, ADMIN, AUDITOR } from '../helpers/app.ts'
import { createTestDatabase, databaseUrl } from '../helpers/db.ts'
import { openDatabase } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { makePeople } from '../../src/demo/population.ts'
import { addClient, alertsOf, ask } from './helpers.ts'

t.test('a flood of distinct IDs: answered up to the limit, then every request 429 with no lookup, all audited, alerted', async (t) => {
  const app = await build(t)
  await loadDemo(app.database, app.keyring, 1000)
  await addClient(app, 'flooder', { subjectsPerDay: 200, requestsPerMinute: 1000 })
  const people = makePeople(1000, 2026)
  const caller = app.as({ sub: 'flooder', role: 'caller' })

  const first = await Promise.all(people.slice(0, 200).map(async (p, i) => await caller('POST', '/v1/verifications', ask(p.idNumber, 'F-' + i))))
  t.same([...new Set(first.map((r) => r.statusCode))], [200], 'the first 200 distinct subjects are answered')
  await app.app.admission.drain()

  // While another connection holds the records exclusively, a lookup would block: refusals must not.
  let unlock = async (): Promise<void> => {}
  if (databaseUrl !== null) {
    const [row] = await app.database.query<{ tables: string }>(`select string_agg(tablename, ', ') as tables from pg_tables where tablename like 'records_s%'`)
    const current = await app.database.query<{ current_database: string }>('select current_database()')
    const locker = postgres(Object.assign(new URL(databaseUrl), { pathname: '/' + current[0]!.current_database }).toString(), { max: 1, onnotice: () => {} })
    const reserved = await locker.reserve()
    await reserved.unsafe('begin')
    await reserved.unsafe(`lock table ${row!.tables} in access exclusive mode`)
    unlock = async () => { await reserved.unsafe('rollback'); reserved.release(); await locker.end() }
  }
  const started = Date.now()
  const rest = await Promise.all(people.slice(200).map(async (p, i) => await caller('POST', '/v1/verifications', ask(p.idNumber, 'G-' + i))))
  const elapsed = Date.now() - started
  await unlock()
  t.same([...new Set(rest.map((r) => r.statusCode))], [429], `all ${rest.length} further requests are 429 (${elapsed} ms${databaseUrl !== null ? ', with the records locked' : ''})`)
  t.equal(rest[0]!.json().code, 'QUOTA_EXCEEDED')
  t.equal(rest[0]!.json().limit, 'subjectsPerDay')
  t.ok(Number(rest[0]!.headers['retry-after']) > 0, 'Retry-After is set')
  t.notMatch(rest[0]!.body, people[300]!.idNumber)

  const counts = await app.database.query<{ kind: string, code: string | null, n: number }>(
    `select kind, code, count(*)::int as n from audit_entries where caller = 'flooder' group by kind, code order by kind`)
  t.same(counts.map((c) => [c.kind, c.code, c.n]), [['answer', null, 200], ['refusal', 'QUOTA_EXCEEDED', 800]], 'every attempt is an audit entry')
  const refusal = (await app.as(AUDITOR)('GET', '/v1/audit/entries?kind=refusal&caller=flooder&limit=1')).json().entries[0]
  t.same(refusal.detail, { limit: 'subjectsPerDay', retryAfter: refusal.detail.retryAfter })

  const alerts = await alertsOf(app, 'QUOTA_EXCEEDED')
  t.equal(alerts.length, 1, 'one alert, not one per refusal')
  t.equal(alerts[0]!.client, 'flooder')
  const metrics = await app.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /shifou_alerts_total\{kind="QUOTA_EXCEEDED"\} 1/)
})

t.test('requests per minute, subjects per case and names per subject', async (t) => {
  const app = await build(t)
  const { people } = await loadDemo(app.database, app.keyring, 60)
  await addClient(app, 'small', { requestsPerMinute: 1000, subjectsPerCase: 3, namesPerSubjectPerDay: 3 })
  const caller = app.as({ sub: 'small', role: 'caller' })
  for (let i = 0; i < 3; i++) t.equal((await caller('POST', '/v1/verifications', ask(people[i]!.idNumber, 'CASE-1'))).statusCode, 200)
  t.equal((await caller('POST', '/v1/verifications', ask(people[0]!.idNumber, 'CASE-1'))).statusCode, 200, 'the same subject again in its case')
  const fourth = await caller('POST', '/v1/verifications', ask(people[3]!.idNumber, 'CASE-1'))
  t.equal(fourth.statusCode, 429)
  t.equal(fourth.json().limit, 'subjectsPerCase')

  const p = people[10]!
  const names = [p.name, p.name + '伟', '张三', '李四']
  const results = []
  for (const n of names) results.push(await caller('POST', '/v1/verifications', ask(p.idNumber, 'CASE-2', n)))
  t.same(results.map((r) => r.statusCode), [200, 200, 200, 429], 'the fourth name tried against one ID is refused')
  t.equal(results[3]!.json().limit, 'namesPerSubjectPerDay')
  t.equal((await caller('POST', '/v1/verifications', ask(p.idNumber, 'CASE-2', p.name))).statusCode, 200, 'a name already tried is not a new one')
  const guessing = await alertsOf(app, 'NAME_GUESSING')
  t.equal(guessing.length, 1, 'name guessing is alerted')
  t.equal(guessing[0]!.client, 'small')
  t.notMatch(JSON.stringify(guessing), p.idNumber)

  await addClient(app, 'rpm', { requestsPerMinute: 5 })
  const rpm = app.as({ sub: 'rpm', role: 'caller' })
  const burst = []
  for (let i = 0; i < 7; i++) burst.push((await rpm('POST', '/v1/verifications', ask(people[20]!.idNumber, 'R'))).statusCode)
  // A minute boundary during the burst would reset the count; then fewer are refused.
  t.ok(burst.filter((s) => s === 429).length >= 1 && burst.slice(0, 5).every((s) => s === 200), `burst: ${burst.join(' ')}`)
})

t.test('admins change limits through the API, each change audited', async (t) => {
  const app = await build(t)
  const { people } = await loadDemo(app.database, app.keyring, 20)
  await addClient(app, 'tuned', { subjectsPerDay: 1 })
  const caller = app.as({ sub: 'tuned', role: 'caller' })
  t.equal((await caller('POST', '/v1/verifications', ask(people[0]!.idNumber, 'A'))).statusCode, 200)
  t.equal((await caller('POST', '/v1/verifications', ask(people[1]!.idNumber, 'A'))).statusCode, 429)
  const set = await app.as(ADMIN)('PUT', '/v1/clients/tuned/quotas', { quotas: { subjectsPerDay: 5 }, autoSuspend: true })
  t.equal(set.statusCode, 200, set.body)
  t.same(set.json().quotas, { requestsPerMinute: 600, subjectsPerDay: 5, subjectsPerCase: 20, namesPerSubjectPerDay: 3 })
  t.equal(set.json().autoSuspend, true)
  t.equal((await caller('POST', '/v1/verifications', ask(people[1]!.idNumber, 'A'))).statusCode, 200, 'the new limit applies at once')
  const changes = (await app.as(AUDITOR)('GET', '/v1/audit/entries?kind=change')).json().entries
  const last = changes[changes.length - 1]
  t.same(last.detail, { action: 'update', resource: 'client-limits', id: 'tuned', quotas: set.json().quotas, autoSuspend: true })
  t.equal((await app.as(ADMIN)('PUT', '/v1/clients/tuned/quotas', { quotas: { subjectsPerDay: -1 } })).statusCode, 400)
  t.equal((await app.as(ADMIN)('PUT', '/v1/clients/tuned/quotas', { quotas: { perHour: 3 } })).statusCode, 400)
  t.equal((await app.as(ADMIN)('PUT', '/v1/clients/nobody/quotas', { quotas: {} })).statusCode, 404)
  t.equal((await caller('PUT', '/v1/clients/tuned/quotas', { quotas: { subjectsPerDay: 99 } })).statusCode, 403, 'a caller cannot raise its own limits')
})

t.test('limits are shared by two service processes and survive a restart; a limiter that cannot be consulted refuses', async (t) => {
  if (databaseUrl === null) {
    t.comment('PGlite holds one connection in one process: two service processes need PostgreSQL (DATABASE_URL); the fail-closed part runs here')
  }
  const created = databaseUrl === null ? null : await createTestDatabase()
  const dbA = await openDatabase({ url: created?.url ?? null, memory: true })
  t.teardown(async () => { await created?.drop() })
  await migrate(dbA)
  const a = await build(t, { database: dbA })
  const { people } = await loadDemo(dbA, a.keyring, 20)
  await addClient(a, 'shared', { subjectsPerDay: 4 })
  if (created !== null) {
    const dbB = await openDatabase({ url: created.url })
    const b = await build(t, { database: dbB })
    t.teardown(async () => { await dbB.close() })
    const asA = a.as({ sub: 'shared', role: 'caller' })
    const asB = b.as({ sub: 'shared', role: 'caller' })
    t.equal((await asA('POST', '/v1/verifications', ask(people[0]!.idNumber, 'S'))).statusCode, 200)
    t.equal((await asB('POST', '/v1/verifications', ask(people[1]!.idNumber, 'S'))).statusCode, 200)
    t.equal((await asA('POST', '/v1/verifications', ask(people[2]!.idNumber, 'S'))).statusCode, 200)
    t.equal((await asB('POST', '/v1/verifications', ask(people[3]!.idNumber, 'S'))).statusCode, 200)
    t.equal((await asB('POST', '/v1/verifications', ask(people[4]!.idNumber, 'S'))).statusCode, 429, 'the fifth subject across both processes is refused')
    await a.app.close()
    await b.app.close()
    const dbC = await openDatabase({ url: created.url })
    t.teardown(async () => { await dbC.close() })
    const c = await build(t, { database: dbC })
    t.equal((await c.as({ sub: 'shared', role: 'caller' })('POST', '/v1/verifications', ask(people[5]!.idNumber, 'S'))).statusCode, 429, 'after a restart the day\'s count is still there')
    t.equal((await c.as({ sub: 'shared', role: 'caller' })('POST', '/v1/verifications', ask(people[0]!.idNumber, 'S'))).statusCode, 200, 'a subject already counted is still answered')
    await c.database.query('alter function shifou_limit_batch rename to shifou_limit_batch_gone')
    const refused = await c.as({ sub: 'shared', role: 'caller' })('POST', '/v1/verifications', ask(people[0]!.idNumber, 'S'))
    t.equal(refused.statusCode, 503)
    t.equal(refused.json().code, 'QUOTA_UNAVAILABLE')
    t.notMatch(refused.body, /"answers"/)
    await c.database.query('alter function shifou_limit_batch_gone rename to shifou_limit_batch')
  } else {
    await dbA.query('alter function shifou_limit_batch rename to shifou_limit_batch_gone')
    const refused = await a.as({ sub: 'shared', role: 'caller' })('POST', '/v1/verifications', ask(people[0]!.idNumber, 'S'))
    t.equal(refused.statusCode, 503)
    t.equal(refused.json().code, 'QUOTA_UNAVAILABLE')
    const entries = await dbA.query<{ code: string }>(`select code from audit_entries where kind = 'refusal' and caller = 'shared'`)
    t.same(entries.map((e) => e.code), ['QUOTA_UNAVAILABLE'], 'the refusal is audited')
    await dbA.query('alter function shifou_limit_batch_gone rename to shifou_limit_batch')
    await a.app.close()
  }
  await dbA.close()
})

t.test("a subject's row of the day is found through the primary key, whatever the day's volume", async (t) => {
  // With an index leading (client, day, prefix) the planner could take it for a lookup of one
  // subject and read every subject the client had asked about that day, on every request.
  const app = await build(t)
  await app.database.query(`insert into usage_subjects (client_id, day, subject, prefix)
    select 'c', date '2026-11-28', decode(md5(g::text), 'hex'), decode(md5((g % 50)::text), 'hex') from generate_series(1, 2000) g`)
  const [plan] = await app.database.query<{ 'QUERY PLAN': unknown }>(`explain (format json)
    select 1 from usage_subjects where client_id = 'c' and day = date '2026-11-28' and subject = decode(md5('7'), 'hex')`)
  const text = JSON.stringify(plan!['QUERY PLAN'])
  t.match(text, /usage_subjects_client_id_day_subject_pk/, 'the lookup uses the primary key')
})
