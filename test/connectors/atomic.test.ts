/**
 * Loads are atomic (design §4, §5): a load that fails halfway — the upload is cut off, the file
 * turns bad in its second half, the database refuses the activation — leaves the previous snapshot
 * answering exactly as before, the connector's active snapshot unchanged, the failed snapshot
 * marked 'failed' and no records table of it behind.
 */
import t, { type Test } from 'tap'
import postgres from 'postgres'
import { Readable } from 'node:stream'
import { build, ADMIN } from '../helpers/app.ts'
import { createTestDatabase, databaseUrl, testDatabase } from '../helpers/db.ts'
import { openDatabase, type Database } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { loadSnapshot } from '../../src/connectors/load.ts'
import { getConnector } from '../../src/registry/store.ts'
import { makePeople, type Person } from '../../src/demo/population.ts'
import { checkDigit } from '../../src/matchers/cn-resident-id.ts'
import type { Principal } from '../../src/principal.ts'
import type { TokenClaims } from '../../src/tokens.ts'

/**
 * On PostgreSQL the file's database gets lock_timeout = 2 s, so that a lock held by another session
 * makes the loader's attach step fail instead of waiting for ever (case (c2)).
 */
let database: Database
let url: string | null = null
if (databaseUrl !== null) {
  const created = await createTestDatabase()
  url = created.url
  const setup = postgres(created.url, { max: 1, onnotice: () => {} })
  await setup.unsafe(`alter database ${new URL(created.url).pathname.slice(1)} set lock_timeout = '2s'`)
  await setup.end()
  const db = await openDatabase({ url: created.url, memory: true, poolSize: 10 })
  database = db
  t.teardown(async () => {
    await db.close()
    await created.drop()
  })
  await migrate(database)
} else {
  database = await testDatabase(t)
}
const { keyring, as } = await build(t, { database })
const admin = as(ADMIN)
const ADMIN_PRINCIPAL: Principal = { sub: ADMIN.sub, role: 'admin' }
const CALLER: TokenClaims = { sub: 'atomic-tests', role: 'caller' }
const PURPOSE = 'atomicity'
const AS_OF = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
const C = 'atom'

async function ok (res: { statusCode: number, body: string }, status: number): Promise<void> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}

await ok(await admin('POST', '/v1/departments', { id: 'tax', name: 'Tax Bureau' }), 201)
await ok(await admin('POST', '/v1/connectors', {
  id: C,
  department: 'tax',
  title: 'Income tax',
  kind: 'file',
  subject: { field: 'id_number', type: 'cn_resident_id' },
  fields: [{ name: 'name', type: 'name' }, { name: 'year', type: 'integer' }, { name: 'amount', type: 'number' }]
}), 201)
const QUESTIONS = [
  { id: 'atom.has', title: 'Known', when: { any: {} } },
  { id: 'atom.name', title: 'Name matches', when: { any: { name: { eq: { subject: 'name' } } } } },
  { id: 'atom.paid', title: 'Paid in a year', params: { year: 'integer' }, when: { any: { year: { eq: { param: 'year' } }, amount: { gt: 0 } } } },
  { id: 'atom.income', title: 'Income at least', params: { year: 'integer', min: 'number' }, when: { sum: { field: 'amount', where: { year: { eq: { param: 'year' } } }, gte: { param: 'min' } } } }
]
for (const q of QUESTIONS) await ok(await admin('POST', '/v1/questions', { connector: C, ...q }), 201)
const BIG = 10_000_000
await ok(await admin('POST', '/v1/clients', {
  id: CALLER.sub, name: 'Atomicity tests', questions: QUESTIONS.map((q) => q.id), purposes: [PURPOSE],
  quotas: { requestsPerMinute: BIG, subjectsPerDay: BIG, subjectsPerCase: BIG, namesPerSubjectPerDay: BIG }
}), 201)

// ---- data: the snapshot that stays active, and a different one that the failing loads carry ----

const initial = makePeople(60, 7)
const newcomers = makePeople(40, 8).filter((p) => !initial.some((q) => q.idNumber === p.idNumber)).slice(0, 10)
/** 40 people of the active snapshot and 10 that only the failing loads know. */
const SUBJECTS: Person[] = [...initial.slice(0, 40), ...newcomers]

function * initialLines (): Generator<string> {
  yield 'id_number,name,year,amount\n'
  for (const [i, p] of initial.entries()) {
    yield `${p.idNumber},${p.name},2024,${(i * 997) % 60000}\n`
    if (i % 3 === 0) yield `${p.idNumber},${p.name},2023,${(i * 331) % 40000}.5\n`
  }
}
/** Other data: the newcomers, and everyone's 2024 taxes changed. */
function nextRows (): string[] {
  return [
    ...newcomers.map((p, i) => `${p.idNumber},${p.name},2024,${1000 + i}\n`),
    ...initial.map((p, i) => `${p.idNumber},${p.name},2024,${i % 2 === 0 ? 0 : 59000}\n`)
  ]
}
const HEADER = 'id_number,name,year,amount\n'

/** Synthetic valid rows for the large cases: distinct IDs, generated on the fly. */
function syntheticRow (i: number): string {
  const day = new Date(Date.UTC(1950, 0, 1) + (i % 20000) * 86400000).toISOString().slice(0, 10).replaceAll('-', '')
  const first17 = '320102' + day + String(Math.floor(i / 20000)).padStart(3, '0')
  return `${first17 + checkDigit(first17)},张伟,2024,${i % 50000}\n`
}

let cases = 0
async function answers (): Promise<string[][]> {
  const out: string[][] = []
  for (const p of SUBJECTS) {
    const res = await as(CALLER)('POST', '/v1/verifications', {
      subject: { idNumber: p.idNumber, name: p.name },
      questions: [{ id: 'atom.has' }, { id: 'atom.name' }, { id: 'atom.paid', params: { year: 2024 } }, { id: 'atom.income', params: { year: 2024, min: 30000 } }],
      purpose: PURPOSE,
      caseId: 'atomic-' + ++cases
    })
    if (res.statusCode !== 200) throw new Error('verification failed: ' + res.body)
    out.push(res.json().answers.map((a: { answer: string }) => a.answer))
  }
  return out
}

async function activeId (): Promise<number> {
  const [row] = await database.query<{ id: number }>('select active_snapshot_id as id from connectors where id = $1', [C])
  return Number(row!.id)
}

async function latestSnapshot (): Promise<{ id: number, status: string, error: string | null }> {
  const [row] = await database.query<{ id: number, status: string, error: string | null }>('select id, status, error from snapshots where connector_id = $1 order by id desc limit 1', [C])
  return { id: Number(row!.id), status: row!.status, error: row!.error }
}

const first = await loadSnapshot({ database, keyring, actor: ADMIN_PRINCIPAL, connector: await getConnector(database, C), asOf: AS_OF, format: 'csv', input: Readable.from(initialLines()) })
if (first.status !== 'active' || first.rows !== 80) throw new Error('fixture load failed')
// The registry cache of the app learns of the direct load after its TTL; make sure it has.
await new Promise((resolve) => setTimeout(resolve, 1100))
const BEFORE = await answers()
if (!BEFORE.some((a) => a[0] === 'yes') || !BEFORE.some((a) => a[0] === 'no')) throw new Error('fixture: the subjects should be partly known')

/** Everything a failed load must leave as it was. */
async function unchanged (t: Test, expectedError: string): Promise<void> {
  const failed = await latestSnapshot()
  t.not(failed.id, first.id, 'a new snapshot was started')
  t.same(failed, { id: failed.id, status: 'failed', error: expectedError }, 'the failed snapshot is marked failed')
  t.equal(await activeId(), first.id, 'the active snapshot is unchanged')
  const view = await admin('GET', '/v1/connectors/' + C)
  t.equal(view.json().activeSnapshot.id, first.id)
  t.equal(view.json().activeSnapshot.status, 'active')
  const tables = await database.query('select tablename from pg_tables where tablename = $1', ['records_s' + failed.id])
  t.same(tables, [], 'no records table of the failed snapshot is left')
  const [n] = await database.query<{ n: number }>('select count(*)::int as n from records where snapshot_id = $1', [failed.id])
  t.equal(Number(n!.n), 0, 'no record of the failed snapshot is visible')
  t.same(await database.query(`select id from snapshots where connector_id = $1 and status = 'loading'`, [C]), [], 'no load is left running')
  const [entry] = await database.query<{ code: string }>(`select code from audit_entries where kind = 'load' and snapshot = $1`, [failed.id])
  t.equal(entry?.code, expectedError, 'the failed load is in the audit log')
  t.same(await answers(), BEFORE, 'the 50 subjects get the same answers as before')
}

/** A file that delivers `count` rows of `rows` and then fails like a dropped connection. */
function cutOff (header: string, rows: Iterable<string>, count: number): Readable {
  function * gen (): Generator<string> {
    yield header
    let n = 0
    for (const row of rows) {
      if (n++ === count) break
      yield row
    }
    throw Object.assign(new Error('upload cut off'), { code: 'ECONNRESET' })
  }
  return Readable.from(gen())
}

t.test('(a) the upload is cut off halfway: loader input that errors', async (t) => {
  const connector = await getConnector(database, C)
  const rows = nextRows()
  t.test('CSV', async (t) => {
    await t.rejects(loadSnapshot({ database, keyring, actor: ADMIN_PRINCIPAL, connector, asOf: AS_OF, format: 'csv', input: cutOff(HEADER, rows, rows.length / 2) }), { message: 'upload cut off' })
    await unchanged(t, 'LOAD_FAILED')
  })
  t.test('NDJSON', async (t) => {
    const nd = rows.map((line) => {
      const [id, name, year, amount] = line.trim().split(',')
      return JSON.stringify({ id_number: id, name, year: Number(year), amount: Number(amount) }) + '\n'
    })
    await t.rejects(loadSnapshot({ database, keyring, actor: ADMIN_PRINCIPAL, connector, asOf: AS_OF, format: 'ndjson', input: cutOff('', nd, nd.length / 2) }), { message: 'upload cut off' })
    await unchanged(t, 'LOAD_FAILED')
  })
  t.test('after more rows than one COPY slice (rows already written to the table)', async (t) => {
    // PGlite sends COPY data in 8 MB slices: 70,000 rows are more than one, so the error comes after
    // rows reached the new table on both drivers.
    function * synthetic (): Generator<string> { for (let i = 0; ; i++) yield syntheticRow(i) }
    await t.rejects(loadSnapshot({ database, keyring, actor: ADMIN_PRINCIPAL, connector, asOf: AS_OF, format: 'csv', input: cutOff(HEADER, synthetic(), 70_000) }), { message: 'upload cut off' })
    const failed = await latestSnapshot()
    const [row] = await database.query<{ rows: number }>('select rows from snapshots where id = $1', [failed.id])
    t.ok(Number(row!.rows) >= 60_000, 'the rows were read and written before the failure')
    await unchanged(t, 'LOAD_FAILED')
  })
})

t.test('(b) the file turns bad in its second half: 422 over HTTP', async (t) => {
  const good = nextRows()
  const bad = good.map((line) => line.replace(/^(\d{17})./, (_, first17: string) => first17 + (checkDigit(first17) === '0' ? '1' : '0')))
  const body = HEADER + good.join('') + bad.join('')
  const res = await admin('PUT', `/v1/connectors/${C}/snapshot?asOf=${AS_OF}`, body, { 'content-type': 'text/csv' })
  t.equal(res.statusCode, 422, res.body.slice(0, 300))
  t.equal(res.json().code, 'REJECT_RATIO_EXCEEDED')
  t.equal(res.json().rejectedCount, bad.length)
  t.same(res.json().rejected[0], { line: good.length + 2, field: 'id_number', code: 'INVALID_ID_NUMBER' })
  await unchanged(t, 'REJECT_RATIO_EXCEEDED')
})

t.test('(c) the database fails in the activating transaction', async (t) => {
  // The load entry is written last in the transaction that attaches the table, supersedes the
  // previous snapshot and switches the connector: refusing it must undo all of that.
  await database.query(`create function test_refuse_activation() returns trigger language plpgsql as $$
    begin
      if new.kind = 'load' and new.code = 'ACTIVE' then raise exception 'simulated failure'; end if;
      return new;
    end $$`)
  await database.query('create trigger test_refuse_activation before insert on audit_entries for each row execute function test_refuse_activation()')
  try {
    const res = await admin('PUT', `/v1/connectors/${C}/snapshot?asOf=${AS_OF}`, HEADER + nextRows().join(''), { 'content-type': 'text/csv' })
    t.equal(res.statusCode, 500, res.body)
    t.equal(res.json().code, 'INTERNAL')
    t.notMatch(res.body, 'simulated', 'the database message is not echoed')
  } finally {
    await database.query('drop trigger test_refuse_activation on audit_entries')
    await database.query('drop function test_refuse_activation()')
  }
  await unchanged(t, 'LOAD_FAILED')
})

t.test('(c2) the attach step cannot get its lock (PostgreSQL)', async (t) => {
  if (url === null) {
    t.comment('PGlite is one session in this process: no other session can hold a conflicting lock on the records table, so this case runs on PostgreSQL only; (c) covers a database failure on both drivers')
    return
  }
  const locker = postgres(url, { max: 1, onnotice: () => {} })
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  let signal!: () => void
  const locked = new Promise<void>((resolve) => { signal = resolve })
  // SHARE UPDATE EXCLUSIVE lets the loader create, fill and index its table (which reads records'
  // definition) and lets verifications read, but conflicts with ATTACH PARTITION.
  const holding = locker.begin(async (tx) => {
    await tx.unsafe('lock table records in share update exclusive mode')
    signal()
    await released
  })
  try {
    await locked
    const started = Date.now()
    const res = await admin('PUT', `/v1/connectors/${C}/snapshot?asOf=${AS_OF}`, HEADER + nextRows().join(''), { 'content-type': 'text/csv' })
    t.equal(res.statusCode, 503, res.body)
    t.equal(res.json().code, 'DATABASE_UNAVAILABLE', 'a lock timeout is a temporary condition: retry later')
    t.ok(Date.now() - started >= 1900, 'the load waited for the lock until lock_timeout')
  } finally {
    release()
    await holding
    await locker.end()
  }
  // The snapshot records why it failed: the database did not answer in time (here, a lock wait).
  await unchanged(t, 'DATABASE_UNAVAILABLE')
})

t.test('the same data loads once nothing fails, and then the answers change', async (t) => {
  // Shows the checks above could see a change: the failing loads carried different answers.
  const res = await admin('PUT', `/v1/connectors/${C}/snapshot?asOf=${AS_OF}`, HEADER + nextRows().join(''), { 'content-type': 'text/csv' })
  t.equal(res.statusCode, 201, res.body)
  t.equal(await activeId(), res.json().snapshot.id)
  const [previous] = await database.query<{ status: string }>('select status from snapshots where id = $1', [first.id])
  t.equal(previous!.status, 'superseded')
  const after = await answers()
  t.notSame(after, BEFORE)
  t.same(after.slice(40).map((a) => a[0]), newcomers.map(() => 'yes'), 'the newcomers are known now')
})
