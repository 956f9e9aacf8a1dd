/**
 * Scheduled syncs (design §14.2 `schedule`): two service instances on one database, each with its
 * own scheduler (and, on PostgreSQL, its own connections), look at the schedule in the same
 * minute; exactly one claims the minute and syncs, and the load's audit entry says it was the
 * schedule. A minute that does not match, or one already claimed, syncs nothing.
 */
import t from 'tap'
import { build, ADMIN, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, databaseUrl, testDatabase } from '../helpers/db.ts'
import { openDatabase, type Database } from '../../src/db/client.ts'
import { expectStatus, register } from '../helpers/registry.ts'
import { departmentPostgres } from '../helpers/department.ts'
import { makePeople } from '../../src/demo/population.ts'

async function twoDatabases (): Promise<[Database, Database]> {
  if (databaseUrl === null) {
    const one = await testDatabase(t)
    return [one, one]
  }
  const created = await createTestDatabase()
  const a = await openDatabase({ url: created.url, poolSize: 4, timeoutMs: 60_000 })
  const b = await openDatabase({ url: created.url, poolSize: 4, timeoutMs: 60_000 })
  t.teardown(async () => {
    await a.close()
    await b.close()
    await created.drop()
  })
  return [a, b]
}

const [dbA, dbB] = await twoDatabases()
const one: TestApp = await build(t, { database: dbA })
const two: TestApp = await build(t, { database: dbB })
const dept = await departmentPostgres(t)
await dept.exec('create table people (id_number text, city text)')
for (const p of makePeople(20, 5)) await dept.exec('insert into people values ($1, $2)', [p.idNumber, 'Foshan'])

await register(one, { departments: [{ id: 'civil', name: 'Civil affairs' }] })
// 03:17 on 29 February, China Standard Time: a minute the test's real clock does not reach.
expectStatus(await one.as(ADMIN)('POST', '/v1/connectors', {
  id: 'people',
  department: 'civil',
  title: 'People',
  kind: 'pull',
  source: { engine: 'postgres', url: dept.url, query: 'select * from people order by id_number' },
  schedule: '17 3 29 2 *',
  subject: { field: 'id_number', type: 'cn_resident_id' },
  fields: [{ name: 'city', type: 'string' }]
}), 201)
const DUE = new Date('2028-02-28T19:17:05Z')

t.test('the due minute syncs in exactly one of two instances', async (t) => {
  const [a, b] = await Promise.all([one.app.scheduler.tick(DUE), two.app.scheduler.tick(DUE)])
  t.same([...a, ...b], ['people'], 'one claimed it')
  const snaps = (await one.as(ADMIN)('GET', '/v1/connectors/people/snapshots')).json().snapshots
  t.equal(snaps.length, 1, 'one sync ran')
  t.equal(snaps[0].status, 'active')
  t.equal(snaps[0].rows, 20)
  t.equal(snaps[0].actor, 'shifou-scheduler')
  t.equal(snaps[0].asOf, '2028-02-29', 'asOf is the day of the sync in China Standard Time')
  const entries = await dbA.query<{ trigger: string }>(`select convert_from(entry, 'UTF8')::jsonb
    ->'detail'->'source'->>'trigger' as trigger from audit_entries where kind = 'load'`)
  t.same(entries.map((e) => e.trigger), ['schedule'], 'its audit entry names the schedule')
})

t.test('a claimed minute, or one that does not match, syncs nothing', async (t) => {
  t.same(await two.app.scheduler.tick(new Date(DUE.getTime() + 20_000)), [], 'the same minute again')
  t.same(await one.app.scheduler.tick(new Date(DUE.getTime() + 60_000)), [], 'the next minute')
  const later = new Date('2032-02-28T19:17:00Z')
  const [a, b] = await Promise.all([two.app.scheduler.tick(later), one.app.scheduler.tick(later)])
  t.same([...a, ...b], ['people'], 'the next due minute, four years on')
  const [latest] = (await one.as(ADMIN)('GET', '/v1/connectors/people/snapshots')).json().snapshots
  t.equal(latest.status, 'unchanged', 'the same rows: unchanged')
})
