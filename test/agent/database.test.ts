/**
 * The department agent over the department's own database (design §14.3: `--source-url URL
 * --query Q`), PostgreSQL and MariaDB as real servers: the agent reads the query's result with the
 * pull engines and answers the hub's signed lookups from it; nothing is copied to the hub.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Keyring } from '../../src/keys/keyring.ts'
import { exportAgentKey } from '../../src/agent/key.ts'
import { signingKeyFromSeed } from '../../src/agent/identity.ts'
import { LOOKUP_PATH, signRequest, type LookupResponse } from '../../src/agent/protocol.ts'
import { makeId, prng } from '../../src/demo/population.ts'
import { startAgent } from '../helpers/agent.ts'
import { departmentMariadb, departmentPostgres, ensureMariadb, type DepartmentDb } from '../helpers/department.ts'

const keyring = new Keyring(new Map([[1, randomBytes(32)]]))
const hub = signingKeyFromSeed(randomBytes(32))
const rand = prng(20)
const people = Array.from({ length: 30 }, () => makeId(rand))
const connector = {
  id: 'tax',
  subjectField: 'id_number',
  subjectColumn: '公民身份号码',
  fields: [{ name: 'year', type: 'integer' }, { name: 'status', type: 'string', column: '状态' }],
  maxRejectRatio: 0.1
}
const agentKey = exportAgentKey(keyring, connector)

async function fill (db: DepartmentDb): Promise<void> {
  await db.exec('create table people (id varchar(18), yr integer, st varchar(8), secret varchar(8))')
  // Literal values (digits, X and two fixed words): the same statement for both engines' placeholders.
  const rows = people.flatMap((id, i) => i % 3 === 2
    ? [] // a third of the people have no row
    : [`('${id}', ${2020 + (i % 5)}, '${i % 2 === 0 ? '已缴' : '未缴'}', 'x')`])
  await db.exec('insert into people values ' + rows.join(', '))
}

async function ask (url: string, ids: string[]): Promise<LookupResponse> {
  const body = Buffer.from(JSON.stringify({
    connector: 'tax',
    lookups: ids.map((id) => ({ subject: keyring.connector('tax', 1).subjectHash(id).toString('hex') }))
  }))
  const target = new URL(LOOKUP_PATH, url)
  const res = await fetch(target, { method: 'POST', headers: signRequest(target, body, hub, 'hub').headers, body })
  if (res.status !== 200) throw new Error(`the agent answered ${res.status}: ${await res.text()}`)
  return await res.json() as LookupResponse
}

const QUERY = {
  postgres: 'select id as "公民身份号码", yr as year, st as "状态" from people order by id',
  mariadb: 'select id as `公民身份号码`, yr as year, st as `状态` from people order by id'
}

for (const engine of ['postgres', 'mariadb'] as const) {
  t.test(`an agent over a ${engine} database answers from the query's result`, async (t) => {
    if (engine === 'mariadb') ensureMariadb()
    const db = engine === 'postgres' ? await departmentPostgres(t) : await departmentMariadb(t)
    await fill(db)
    const dir = mkdtempSync(join(tmpdir(), 'shifou-agent-db-'))
    const agent = await startAgent(t, {
      connector: 'tax',
      hubKey: hub.publicKey,
      agentKey,
      dataDir: join(dir, 'agent'),
      data: '',
      source: { url: db.url, query: QUERY[engine] }
    })
    const answer = await ask(agent.url, people)
    people.forEach((id, i) => {
      const records = answer.results[i]!.records
      if (i % 3 === 2) t.same(records, [], 'no row, no record')
      else t.same(records, [{ year: 2020 + (i % 5), status: i % 2 === 0 ? '已缴' : '未缴' }], 'the row\'s declared fields')
    })
    t.notMatch(JSON.stringify(answer), /secret|"x"/, 'an undeclared column never leaves the department\'s database')
    await agent.stop()
  })
}
