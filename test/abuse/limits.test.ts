import t from 'tap'
import postgres from 'postgres'
import { build, ADMIN, AUDITOR } from '../helpers/app.ts'
import { createTestDatabase, databaseUrl, testDatabase } from '../helpers/db.ts'
import { openDatabase } from '../../src/db/client.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { addClient, alertsOf } from './helpers.ts'
import { ADMIT_ALL } from '../../src/abuse/admission.ts'
import { callerOf } from '../helpers/claims.ts'

/**
 * One application and demo (1,000 people) for the file, but for the test of two service processes:
 * every subtest acts through clients of its own and reads only their entries and alerts.
 */
const app = await build(t)
const { people } = await loadDemo(app.database, app.keyring, 1000)

t.test(
  'a flood of distinct IDs: answered up to the limit, then every request 429 with no lookup, all audited, alerted',
  async (t) => {
    await addClient(app, 'flooder', { subjectsPerDay: 200, requestsPerMinute: 1000 })
    const FLOODER = callerOf('flooder')

    const first = await Promise.all(
      people.slice(0, 200).map(async (p, i) => await app.ask(FLOODER, { idNumber: p.idNumber, caseId: 'F-' + i }))
    )
    t.same([...new Set(first.map((r) => r.statusCode))], [200], 'the first 200 distinct subjects are answered')
    await app.app.admission.drain()

    // While another connection holds the records exclusively, a lookup would block: refusals must not.
    let unlock = async (): Promise<void> => {}
    if (databaseUrl !== null) {
      const [row] = await app.database.query<{ tables: string }>(
        `select string_agg(tablename, ', ') as tables from pg_tables where tablename like 'records_s%'`
      )
      const current = await app.database.query<{ current_database: string }>('select current_database()')
      const locker = postgres(
        Object.assign(new URL(databaseUrl), { pathname: '/' + current[0]!.current_database }).toString(),
        { max: 1, onnotice: () => {} }
      )
      const reserved = await locker.reserve()
      await reserved.unsafe('begin')
      await reserved.unsafe(`lock table ${row!.tables} in access exclusive mode`)
      unlock = async () => {
        await reserved.unsafe('rollback')
        reserved.release()
        await locker.end()
      }
    }
    const started = Date.now()
    const rest = await Promise.all(
      people.slice(200).map(async (p, i) => await app.ask(FLOODER, { idNumber: p.idNumber, caseId: 'G-' + i }))
    )
    const elapsed = Date.now() - started
    await unlock()
    t.same(
      [...new Set(rest.map((r) => r.statusCode))],
      [429],
      `all ${rest.length} further requests are 429 (${elapsed} ms` +
      `${databaseUrl !== null ? ', with the records locked' : ''})`
    )
    t.equal(rest[0]!.json().code, 'QUOTA_EXCEEDED')
    t.equal(rest[0]!.json().limit, 'subjectsPerDay')
    t.ok(Number(rest[0]!.headers['retry-after']) > 0, 'Retry-After is set')
    t.notMatch(rest[0]!.body, people[300]!.idNumber)

    const counts = await app.database.query<{ kind: string, code: string | null, n: number }>(
      `select kind, code, count(*)::int as n from audit_entries where caller = 'flooder'
        group by kind, code order by kind`
    )
    t.same(
      counts.map((c) => [c.kind, c.code, c.n]),
      [
        ['answer', null, 200],
        ['refusal', 'QUOTA_EXCEEDED', 800]
      ],
      'every attempt is an audit entry'
    )
    const refusal = (await app.as(AUDITOR)('GET', '/v1/audit/entries?kind=refusal&caller=flooder&limit=1')).json()
      .entries[0]
    t.same(refusal.detail, { limit: 'subjectsPerDay', retryAfter: refusal.detail.retryAfter })

    const alerts = await alertsOf(app, 'QUOTA_EXCEEDED', { client: 'flooder' })
    t.equal(alerts.length, 1, 'one alert, not one per refusal')
    t.equal(alerts[0]!.client, 'flooder')
    const metrics = await app.app.inject({ method: 'GET', url: '/metrics' })
    t.match(
      metrics.body,
      /shifou_alerts_total\{kind="QUOTA_EXCEEDED"\} 1\b/,
      'the first alert of this kind in this service'
    )
  }
)

t.test('requests per minute, subjects per case and names per subject', async (t) => {
  await addClient(app, 'small', { requestsPerMinute: 1000, subjectsPerCase: 3, namesPerSubjectPerDay: 3 })
  const SMALL = callerOf('small')
  for (let i = 0; i < 3; i++) {
    t.equal((await app.ask(SMALL, { idNumber: people[i]!.idNumber, caseId: 'CASE-1' })).statusCode, 200)
  }
  t.equal(
    (await app.ask(SMALL, { idNumber: people[0]!.idNumber, caseId: 'CASE-1' })).statusCode,
    200,
    'the same subject again in its case'
  )
  const fourth = await app.ask(SMALL, { idNumber: people[3]!.idNumber, caseId: 'CASE-1' })
  t.equal(fourth.statusCode, 429)
  t.equal(fourth.json().limit, 'subjectsPerCase')

  const p = people[10]!
  const names = [p.name, p.name + '伟', '张三', '李四']
  const results = []
  for (const n of names) results.push(await app.ask(SMALL, { idNumber: p.idNumber, caseId: 'CASE-2', name: n }))
  t.same(results.map((r) => r.statusCode), [200, 200, 200, 429], 'the fourth name tried against one ID is refused')
  t.equal(results[3]!.json().limit, 'namesPerSubjectPerDay')
  t.equal(
    (await app.ask(SMALL, { idNumber: p.idNumber, caseId: 'CASE-2', name: p.name })).statusCode,
    200,
    'a name already tried is not a new one'
  )
  const guessing = await alertsOf(app, 'NAME_GUESSING', { client: 'small' })
  t.equal(guessing.length, 1, 'name guessing is alerted')
  t.equal(guessing[0]!.client, 'small')
  t.notMatch(JSON.stringify(guessing), p.idNumber)

  await addClient(app, 'rpm', { requestsPerMinute: 5 })
  const RPM = callerOf('rpm')
  const burst = []
  for (let i = 0; i < 7; i++) {
    burst.push((await app.ask(RPM, { idNumber: people[20]!.idNumber, caseId: 'R' })).statusCode)
  }
  // A minute boundary during the burst would reset the count; then fewer are refused.
  t.ok(
    burst.filter((s) => s === 429).length >= 1 && burst.slice(0, 5).every((s) => s === 200),
    `burst: ${burst.join(' ')}`
  )
})

t.test('admins change limits through the API, each change audited', async (t) => {
  await addClient(app, 'tuned', { subjectsPerDay: 1 })
  const TUNED = callerOf('tuned')
  t.equal((await app.ask(TUNED, { idNumber: people[0]!.idNumber, caseId: 'A' })).statusCode, 200)
  t.equal((await app.ask(TUNED, { idNumber: people[1]!.idNumber, caseId: 'A' })).statusCode, 429)
  const set = await app.as(ADMIN)('PUT', '/v1/clients/tuned/quotas', {
    quotas: { subjectsPerDay: 5 },
    autoSuspend: true
  })
  t.equal(set.statusCode, 200, set.body)
  t.same(set.json().quotas, {
    requestsPerMinute: 600,
    subjectsPerDay: 5,
    subjectsPerCase: 20,
    namesPerSubjectPerDay: 3
  })
  t.equal(set.json().autoSuspend, true)
  t.equal(
    (await app.ask(TUNED, { idNumber: people[1]!.idNumber, caseId: 'A' })).statusCode,
    200,
    'the new limit applies at once'
  )
  const changes = (await app.as(AUDITOR)('GET', '/v1/audit/entries?kind=change')).json().entries
  const last = changes[changes.length - 1]
  t.same(last.detail, {
    action: 'update',
    resource: 'client-limits',
    id: 'tuned',
    quotas: set.json().quotas,
    autoSuspend: true
  })
  t.equal((await app.as(ADMIN)('PUT', '/v1/clients/tuned/quotas', { quotas: { subjectsPerDay: -1 } })).statusCode, 400)
  t.equal((await app.as(ADMIN)('PUT', '/v1/clients/tuned/quotas', { quotas: { perHour: 3 } })).statusCode, 400)
  t.equal((await app.as(ADMIN)('PUT', '/v1/clients/nobody/quotas', { quotas: {} })).statusCode, 404)
  t.equal(
    (await app.as(TUNED)('PUT', '/v1/clients/tuned/quotas', { quotas: { subjectsPerDay: 99 } })).statusCode,
    403,
    'a caller cannot raise its own limits'
  )
})

const SHARED = callerOf('shared')

t.test(
  'limits are shared by two service processes and survive a restart; a limiter that cannot be consulted refuses',
  async (t) => {
    if (databaseUrl === null) {
      t.comment('PGlite holds one connection in one process: two service processes need PostgreSQL ' +
        '(DATABASE_URL); the fail-closed part runs here')
    }
    const created = databaseUrl === null ? null : await createTestDatabase()
    if (created !== null) t.teardown(created.drop)
    const dbA = created === null ? await testDatabase(t) : await openDatabase({ url: created.url })
    const a = await build(t, { database: dbA })
    const { people } = await loadDemo(dbA, a.keyring, 20)
    await addClient(a, 'shared', { subjectsPerDay: 4 })
    if (created !== null) {
      const dbB = await openDatabase({ url: created.url })
      const b = await build(t, { database: dbB })
      t.teardown(async () => {
        await dbB.close()
      })
      t.equal((await a.ask(SHARED, { idNumber: people[0]!.idNumber, caseId: 'S' })).statusCode, 200)
      t.equal((await b.ask(SHARED, { idNumber: people[1]!.idNumber, caseId: 'S' })).statusCode, 200)
      t.equal((await a.ask(SHARED, { idNumber: people[2]!.idNumber, caseId: 'S' })).statusCode, 200)
      t.equal((await b.ask(SHARED, { idNumber: people[3]!.idNumber, caseId: 'S' })).statusCode, 200)
      t.equal(
        (await b.ask(SHARED, { idNumber: people[4]!.idNumber, caseId: 'S' })).statusCode,
        429,
        'the fifth subject across both processes is refused'
      )
      await a.app.close()
      await b.app.close()
      const dbC = await openDatabase({ url: created.url })
      t.teardown(async () => {
        await dbC.close()
      })
      const c = await build(t, { database: dbC })
      t.equal(
        (await c.ask(SHARED, { idNumber: people[5]!.idNumber, caseId: 'S' })).statusCode,
        429,
        "after a restart the day's count is still there"
      )
      t.equal(
        (await c.ask(SHARED, { idNumber: people[0]!.idNumber, caseId: 'S' })).statusCode,
        200,
        'a subject already counted is still answered'
      )
      await c.database.query('alter function shifou_admit rename to shifou_admit_gone')
      const refused = await c.ask(SHARED, { idNumber: people[0]!.idNumber, caseId: 'S' })
      t.equal(refused.statusCode, 503)
      t.equal(refused.json().code, 'QUOTA_UNAVAILABLE')
      t.notMatch(refused.body, /"answers"/)
      await c.database.query('alter function shifou_admit_gone rename to shifou_admit')
    } else {
      await dbA.query('alter function shifou_admit rename to shifou_admit_gone')
      const refused = await a.ask(SHARED, { idNumber: people[0]!.idNumber, caseId: 'S' })
      t.equal(refused.statusCode, 503)
      t.equal(refused.json().code, 'QUOTA_UNAVAILABLE')
      const entries = await dbA.query<{ code: string }>(
        `select code from audit_entries where kind = 'refusal' and caller = 'shared'`
      )
      t.same(
        entries.map((e) => e.code),
        ['QUOTA_UNAVAILABLE'],
        'the refusal is audited'
      )
      await dbA.query('alter function shifou_admit_gone rename to shifou_admit')
      await a.app.close()
    }
    if (created !== null) await dbA.close()
  }
)

t.test("a subject's row of the day is found through the primary key, whatever the day's volume", async (t) => {
  // With an index leading (client, day, prefix) the planner could take it for a lookup of one
  // subject and read every subject the client had asked about that day, on every request.
  await app.database.query(`insert into usage_subjects (client_id, day, subject, prefix)
    select 'c', date '2026-11-28', decode(md5(g::text), 'hex'), decode(md5((g % 50)::text), 'hex')
    from generate_series(1, 2000) g`)
  const [plan] = await app.database.query<{ 'QUERY PLAN': unknown }>(`explain (format json)
    select 1 from usage_subjects
    where client_id = 'c' and day = date '2026-11-28' and subject = decode(md5('7'), 'hex')`)
  const text = JSON.stringify(plan!['QUERY PLAN'])
  t.match(text, /usage_subjects_client_id_day_subject_pk/, 'the lookup uses the primary key')
})

t.test('limits off (benchmark only): every request is answered from the records, none is counted', async (t) => {
  const bench = await build(t, { admission: ADMIT_ALL })
  const { people } = await loadDemo(bench.database, bench.keyring, 20)
  await addClient(bench, 'unlimited', { subjectsPerDay: 1, requestsPerMinute: 1 })
  const UNLIMITED_CALLER = callerOf('unlimited')
  const answers = []
  for (const p of people.slice(0, 5)) {
    const res = await bench.ask(UNLIMITED_CALLER, { idNumber: p.idNumber, name: p.name, caseId: 'B-1' })
    t.equal(res.statusCode, 200, 'five subjects and five requests past a limit of one: ' + res.body)
    answers.push(res.json().answers[0].answer)
  }
  t.same(answers, ['yes', 'yes', 'yes', 'yes', 'yes'], 'each name matches its own ID: the records were read')
  const [counted] = await bench.database.query<{ n: number }>(
    `select (select count(*) from usage_subjects where client_id = 'unlimited') +
      (select count(*) from usage_requests where client_id = 'unlimited') as n`)
  t.equal(Number(counted!.n), 0, 'nothing was counted')
  t.same(await alertsOf(bench, undefined, { client: 'unlimited' }), [], 'and nothing observed')
})
