/**
 * Pull connectors through the API (design §14.2): a department's database — a second PostgreSQL
 * database on the local server, and a real MariaDB — registered with its query, synced by
 * POST /v1/connectors/:id/sync, answering questions; `{unchanged: true}` when the rows are the
 * active snapshot's; the source URL never returned, logged or stored in clear; each failure with
 * its code and its load record; every sync an audit entry; department scoping.
 */
import t from 'tap'
import { build, ADMIN } from '../helpers/app.ts'
import { callerOf, stewardOf } from '../helpers/claims.ts'
import { expectStatus, register, UNLIMITED } from '../helpers/registry.ts'
import { departmentMariadb, departmentPostgres, type DepartmentDb } from '../helpers/department.ts'
import { makePeople } from '../../src/demo/population.ts'

const env = await build(t)
const { as, database, verified } = env
const admin = as(ADMIN)
const CLIENT = callerOf('pull-tests')
const STEWARD = stewardOf('estate')
const PASSWORD = 'pw-never-shown-9f3'
const people = makePeople(40, 11)
const [inside, outside] = [people[0]!, people[39]!]

await register(env, { departments: [{ id: 'estate', name: 'Real estate' }, { id: 'other', name: 'Other' }] })

/** The URL with a password in it (the local servers accept any, or this one). */
function withPassword (url: string): string {
  const u = new URL(url)
  if (u.password === '') u.password = PASSWORD
  return u.toString()
}

async function seed (dept: DepartmentDb, engine: 'postgres' | 'mysql'): Promise<void> {
  await dept.exec(`create table homes (sfzh varchar(18), city varchar(40), floors integer, secret_note varchar(40))`)
  // Everyone but the last person holds a home; the last is for a later sync.
  for (const p of people.slice(0, 39)) {
    await dept.exec(engine === 'postgres'
      ? 'insert into homes values ($1, $2, $3, $4)'
      : 'insert into homes values (?, ?, ?, ?)', [p.idNumber, 'Guangzhou', 3, 'not for shifou'])
  }
  await dept.exec('create view v_homes as select sfzh as "身份证号", city, floors, secret_note from homes'
    .replaceAll('"', engine === 'postgres' ? '"' : '`'))
}

const pullConnector = (id: string, engine: 'postgres' | 'mysql', url: string): Record<string, unknown> => ({
  id,
  department: 'estate',
  title: 'Homes ' + id,
  kind: 'pull',
  source: { engine, url, query: 'select * from v_homes order by 1' },
  subject: { field: 'id_number', type: 'cn_resident_id', column: '身份证号' },
  fields: [{ name: 'city', type: 'string' }, { name: 'floors', type: 'integer' }]
})

for (const engine of ['postgres', 'mysql'] as const) {
  t.test(engine, async (t) => {
    const dept = engine === 'postgres' ? await departmentPostgres(t) : await departmentMariadb(t)
    await seed(dept, engine)
    const id = 'homes-' + engine
    const url = withPassword(dept.url)
    const created = await admin('POST', '/v1/connectors', pullConnector(id, engine, url))
    expectStatus(created, 201)
    t.notOk(created.body.includes(PASSWORD), 'the URL is never returned')
    t.same(created.json().source.query, 'select * from v_homes order by 1')
    t.equal(created.json().source.engine, engine)
    t.match(created.json().source.host, /^127\.0\.0\.1:\d+$/)
    await register(env, {
      questions: [{ id: `${id}.holds`, connector: id, title: 'Holds a home', when: { any: {} } }],
      clients: [{ id: `${CLIENT.sub}-${engine}`, questions: [`${id}.holds`], purposes: ['check'], quotas: UNLIMITED }]
    })
    const caller = { ...CLIENT, sub: `${CLIENT.sub}-${engine}` }
    const holds = async (idNumber: string): Promise<string> => (await verified(caller,
      { idNumber, questions: [`${id}.holds`], purpose: 'check', caseId: 'c-' + engine })).answers[0]!.answer

    const first = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
    t.equal(first.statusCode, 200, first.body)
    const snap = first.json().snapshot
    t.equal(first.json().unchanged, undefined)
    t.equal(snap.status, 'active')
    t.equal(snap.rows, 39)
    t.equal(snap.actor, STEWARD.sub)
    t.equal(await holds(inside.idNumber), 'yes')
    t.equal(await holds(outside.idNumber), 'no')

    t.test('the same rows again: unchanged, no new snapshot', async (t) => {
      const again = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
      t.equal(again.statusCode, 200)
      t.equal(again.json().unchanged, true)
      t.equal(again.json().snapshot.id, snap.id, 'the active snapshot')
      const [attempt] = (await admin('GET', `/v1/connectors/${id}/snapshots`)).json().snapshots
      t.equal(attempt.status, 'unchanged', 'the attempt is in the history')
      t.equal((await admin('GET', `/v1/connectors/${id}`)).json().activeSnapshot.id, snap.id)
    })

    t.test('changed rows: a new snapshot answers', async (t) => {
      await dept.exec(engine === 'postgres'
        ? 'insert into homes values ($1, $2, $3, $4)'
        : 'insert into homes values (?, ?, ?, ?)', [outside.idNumber, 'Shenzhen', 1, 'x'])
      const next = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
      t.equal(next.statusCode, 200)
      t.equal(next.json().unchanged, undefined)
      t.not(next.json().snapshot.id, snap.id)
      t.equal(next.json().snapshot.rows, 40)
      t.equal(await holds(outside.idNumber), 'yes')
    })

    t.test('a query whose result lacks a declared column', async (t) => {
      const current = (await admin('GET', `/v1/connectors/${id}`)).json().activeSnapshot.id
      const update = pullConnector(id, engine, url)
      delete update.id
      const source = { engine, query: 'select sfzh, city from homes' }
      expectStatus(await admin('PUT', `/v1/connectors/${id}`, { ...update, source }), 200)
      const res = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
      t.equal(res.statusCode, 422)
      t.equal(res.json().code, 'SOURCE_COLUMN_MISSING')
      t.same(res.json().columns, ['sfzh', 'city'])
      const [attempt] = (await admin('GET', `/v1/connectors/${id}/snapshots`)).json().snapshots
      t.equal(attempt.status, 'failed')
      t.equal(attempt.error, 'SOURCE_COLUMN_MISSING', 'the load record keeps the code')
      t.equal((await admin('GET', `/v1/connectors/${id}`)).json().activeSnapshot.id, current, 'nothing changed')

      expectStatus(await admin('PUT', `/v1/connectors/${id}`, {
        ...update, source: { engine, query: 'select * frm homes' }
      }), 200)
      const bad = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
      t.equal(bad.statusCode, 422)
      t.equal(bad.json().code, 'SOURCE_QUERY_FAILED')

      const unreachable = url.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:1')
      expectStatus(await admin('PUT', `/v1/connectors/${id}`, { ...update, source: { engine, url: unreachable,
        query: 'select * from v_homes' } }), 200)
      const down = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
      t.equal(down.statusCode, 502)
      t.equal(down.json().code, 'SOURCE_UNREACHABLE')
      t.notOk(down.body.includes(PASSWORD))
      expectStatus(await admin('PUT', `/v1/connectors/${id}`, { ...update, source: { engine, url,
        query: 'select * from v_homes order by 1' } }), 200)
      const back = await as(STEWARD)('POST', `/v1/connectors/${id}/sync`)
      t.equal(back.statusCode, 200, 'back to normal')
      t.equal(back.json().unchanged, true, 'the failures changed nothing')
    })

    t.test('every sync is an audit entry of kind load, and names no secret', async (t) => {
      type Detail = { source?: { kind: string, trigger: string } }
      const entries = await database.query<{ code: string, detail: Detail }>(`select code, detail from
        (select code, index, convert_from(entry, 'UTF8')::jsonb->'detail' as detail from audit_entries
          where kind = 'load') e
        where detail->>'connector' = $1 order by index`, [id])
      t.same(entries.map((e) => e.code), ['ACTIVE', 'UNCHANGED', 'ACTIVE', 'SOURCE_COLUMN_MISSING',
        'SOURCE_QUERY_FAILED', 'SOURCE_UNREACHABLE', 'UNCHANGED'])
      t.ok(entries.every((e) => e.detail.source?.kind === 'pull' && e.detail.source.trigger === 'request'))
      const dump = JSON.stringify(await database.query(`select convert_from(entry, 'UTF8') from audit_entries`)) +
        JSON.stringify(await database.query(`select * from connector_sources`)) +
        JSON.stringify(await database.query(`select * from snapshots`))
      t.notOk(dump.includes(PASSWORD), 'the password is in no table')
      t.notOk(dump.includes(new URL(dept.url).pathname.slice(1) + '?'), 'nor the URL')
    })
  })
}

t.test('who may sync what', async (t) => {
  expectStatus(await admin('POST', '/v1/connectors', {
    id: 'uploads', department: 'estate', title: 'Uploads', kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' }, fields: []
  }), 201)
  const file = await admin('POST', '/v1/connectors/uploads/sync')
  t.equal(file.statusCode, 409)
  t.equal(file.json().code, 'NOT_A_PULL_CONNECTOR')
  const other = await as(stewardOf('other'))('POST', '/v1/connectors/homes-postgres/sync')
  t.equal(other.statusCode, 403)
  t.equal((await as(CLIENT)('POST', '/v1/connectors/homes-postgres/sync')).statusCode, 403)
  t.equal((await admin('POST', '/v1/connectors/nothing-here/sync')).statusCode, 404)
})

t.test('registration refuses what cannot be a pull source', async (t) => {
  const base = pullConnector('bad-pull', 'postgres', 'postgres://u:' + PASSWORD + '@127.0.0.1:5432/x')
  const code = async (body: Record<string, unknown>): Promise<string> => {
    const res = await admin('POST', '/v1/connectors', body)
    t.notOk(res.body.includes(PASSWORD))
    return res.json().code
  }
  t.equal(await code({ ...base, source: undefined }), 'INVALID_DEFINITION', 'no source')
  t.equal(await code({ ...base, source: { engine: 'mysql', url: 'postgres://u:' + PASSWORD + '@h/x', query: 'q' } }),
    'INVALID_DEFINITION', 'a URL of another engine')
  t.equal(await code({ ...base, source: { engine: 'postgres', query: 'select 1' } }), 'INVALID_DEFINITION', 'no url')
  t.equal(await code({ ...base, schedule: '61 * * * *' }), 'INVALID_DEFINITION', 'a bad schedule')
  t.equal(await code({ ...base, kind: 'file' }), 'INVALID_DEFINITION', 'a source on a file connector')
  t.equal(await code({ ...base, source: { engine: 'oracle', url: 'x', query: 'q' } }), 'INVALID_BODY')
})
