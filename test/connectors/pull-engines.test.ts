/**
 * The pull engines on their own (design §14.2): a real PostgreSQL database and a real MariaDB
 * standing in for a department's, read through the department's query as CSV of the declared
 * columns only; a column missing from the result, a bad query and an unreachable source each
 * refused with its code, before any row moves; a reader that stops early ends the pull.
 */
import t from 'tap'
import { text } from 'node:stream/consumers'
import { pullPostgres } from '../../src/connectors/pull/postgres.ts'
import { pullMysql } from '../../src/connectors/pull/mysql.ts'
import type { PullEngine, SourceSpec } from '../../src/connectors/pull/source.ts'
import { declaredColumns } from '../../src/connectors/columns.ts'
import { ShifouError } from '../../src/errors.ts'
import { departmentMariadb, departmentPostgres, type DepartmentDb } from '../helpers/department.ts'

const connector = {
  subjectField: 'id_number',
  subjectColumn: '身份证号',
  fields: [
    { name: 'married', type: 'boolean' },
    { name: 'since', type: 'date', column: 'since_date' },
    { name: 'updated', type: 'date' },
    { name: 'amount', type: 'number' },
    { name: 'note', type: 'string' }
  ]
}
const declared = declaredColumns(connector)
const ID = '11010519491231002X'

interface Engine {
  name: string
  pull: PullEngine
  engine: SourceSpec['engine']
  make: typeof departmentPostgres
  setup: string[]
  badPort: string
}

const engines: Engine[] = [
  {
    name: 'postgres',
    pull: pullPostgres,
    engine: 'postgres',
    make: departmentPostgres,
    setup: [
      `create table people ("身份证号" text, married boolean, since_date date, updated timestamptz,
        amount numeric(12,2), note text, secret_col text)`,
      `insert into people values ('${ID}', true, '2001-02-03', '2026-01-01 00:30:00+08', 1234.50, 'a, "quoted"
line', 'never read'), ('110105194912310029', false, null, null, null, null, 'never read')`,
      'create view v_people as select * from people'
    ],
    badPort: 'postgres://postgres@127.0.0.1:1/x'
  },
  {
    name: 'mariadb',
    pull: pullMysql,
    engine: 'mysql',
    make: departmentMariadb,
    setup: [
      `create table people (\`身份证号\` varchar(18), married tinyint(1), since_date date, updated datetime,
        amount decimal(12,2), note text, secret_col text)`,
      `insert into people values ('${ID}', 1, '2001-02-03', '2026-01-01 00:30:00', 1234.50, 'a, "quoted"
line', 'never read'), ('110105194912310029', 0, null, null, null, null, 'never read')`,
      'create view v_people as select * from people'
    ],
    badPort: 'mysql://root@127.0.0.1:1/x'
  }
]

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
  } catch (err) {
    return err instanceof ShifouError ? err.code : 'raw:' + String(err)
  }
  return 'resolved'
}

for (const e of engines) {
  t.test(e.name, async (t) => {
    const dept: DepartmentDb = await e.make(t)
    for (const s of e.setup) await dept.exec(s)
    const spec = (query: string, url = dept.url): SourceSpec => ({ engine: e.engine, url, query })

    t.test('the declared columns, as CSV the loader reads, and nothing else', async (t) => {
      const pulled = await e.pull(spec('select * from v_people order by 1 desc;'), declared)
      t.same(pulled.columns, ['身份证号', 'married', 'since_date', 'updated', 'amount', 'note', 'secret_col'])
      const csv = await text(pulled.csv)
      const lines = csv.split('\n')
      t.equal(lines[0], '身份证号,married,since_date,updated,amount,note')
      const yes = e.engine === 'postgres' ? 'true' : '1'
      t.equal(lines[1], `${ID},${yes},2001-02-03,2026-01-01 00:30:00,1234.50,"a, ""quoted""`)
      t.equal(lines[2], 'line"')
      t.match(lines[3], /^110105194912310029,(false|0),,,,$/)
      t.notOk(csv.includes('never read'), 'an undeclared column never leaves the department')
    })

    t.test('a declared column missing from the result is refused, naming what the query has', async (t) => {
      const err = await e.pull(spec('select married, note from people'), declared).catch((x: unknown) => x)
      t.ok(err instanceof ShifouError)
      const se = err as ShifouError
      t.equal(se.code, 'SOURCE_COLUMN_MISSING')
      t.match(se.detail, /身份证号 \(id_number\)/)
      t.match(se.detail, /since_date \(since\)/)
      t.same(se.extra?.columns, ['married', 'note'])
    })

    t.test('a bad query is refused with the engine\'s own words about the query', async (t) => {
      const err = await e.pull(spec('select * form people'), declared).catch((x: unknown) => x) as ShifouError
      t.equal(err.code, 'SOURCE_QUERY_FAILED')
      t.match(err.detail, /form/)
      t.equal(await codeOf(e.pull(spec('select * from no_such_table'), declared)), 'SOURCE_QUERY_FAILED')
    })

    t.test('an unreachable source, or one that refuses the sign-in, is SOURCE_UNREACHABLE', async (t) => {
      const err = await e.pull(spec('select 1', e.badPort), declared).catch((x: unknown) => x) as ShifouError
      t.equal(err.code, 'SOURCE_UNREACHABLE')
      t.match(err.detail, /refused/)
      const url = new URL(dept.url)
      url.pathname = '/no_such_database_here'
      t.equal(await codeOf(e.pull(spec('select 1', url.toString()), declared)), 'SOURCE_UNREACHABLE')
      if (e.engine === 'mysql') {
        url.password = 'wrong-password'
        const denied = await e.pull(spec('select 1', url.toString()), declared).catch((x: unknown) => x) as ShifouError
        t.equal(denied.code, 'SOURCE_UNREACHABLE')
        t.notOk(denied.detail.includes('wrong-password'), 'the password is never in an error')
        t.notOk(denied.detail.includes('shifou_test'), 'nor the user')
      }
    })

    t.test('the query runs read-only', async (t) => {
      const code = await codeOf((async () => {
        const pulled = await e.pull(spec(e.engine === 'postgres'
          ? 'with gone as (delete from people returning *) select * from gone'
          : 'select * from people for update'), declared)
        await text(pulled.csv)
      })())
      t.not(code, 'resolved')
      const pulled = await e.pull(spec('select * from people'), declared)
      t.equal((await text(pulled.csv)).split('\n').length, 5, 'nothing was deleted')
    })

    t.test('a reader that stops early ends the pull', async (t) => {
      await dept.exec(e.engine === 'postgres'
        ? `create table many as select lpad(g::text, 18, '1') as "身份证号", true as married,
            current_date as since_date, now() as updated, g as amount, 'x' as note from generate_series(1, 200000) g`
        : `create table many as select lpad(seq, 18, '1') as \`身份证号\`, 1 as married,
            current_date as since_date, now() as updated, seq as amount, 'x' as note from seq_1_to_200000`)
      const pulled = await e.pull(spec('select * from many'), declared)
      let seen = 0
      for await (const chunk of pulled.csv) {
        seen += (chunk as Buffer | string).length
        break
      }
      t.ok(seen > 0)
      t.ok(pulled.csv.destroyed)
      // The next pull does not wait behind the first.
      const again = await e.pull(spec('select * from people'), declared)
      t.equal((await text(again.csv)).split('\n').length, 5)
    })
  })
}
