/**
 * Key rotation per connector (design §3, §14.2): POST /v1/connectors/:id/keys/rotate and
 * `shifou keys rotate --connector C` make the connector's next key version; the active snapshot
 * answers under its own version until a reload hashes under the new one; answers are identical
 * throughout; the records' hashes change with the version; audit entries record the version.
 */
import t from 'tap'
import { build, ADMIN, TEST_MASTER, TEST_SECRET, TEST_CHECKPOINT_SEED } from '../helpers/app.ts'
import { callerOf } from '../helpers/claims.ts'
import { createTestDatabase, databaseUrl } from '../helpers/db.ts'
import { fileConnector, register, UNLIMITED } from '../helpers/registry.ts'
import { openDatabase } from '../../src/db/client.ts'
import { makePeople } from '../../src/demo/population.ts'
import { keys as keysCommand } from '../../src/cli/keys.ts'

if (databaseUrl === null) {
  t.comment('key rotation is tested on PostgreSQL (DATABASE_URL): skipped')
  t.pass('skipped without DATABASE_URL')
} else {
  const created = await createTestDatabase()
  const database = await openDatabase({ url: created.url, memory: true, poolSize: 4 })
  t.teardown(async () => { await database.close(); await created.drop() })
  const env = await build(t, { database })
  const admin = env.as(ADMIN)
  const CLIENT = callerOf('rotation-tests')
  const AS_OF = new Date(Date.now() + 8 * 3600_000 - 86_400_000).toISOString().slice(0, 10)

  await register(env, {
    departments: [{ id: 'tax', name: 'Tax' }],
    connectors: [fileConnector('taxes', 'tax', [{ name: 'name', type: 'name' }, { name: 'year', type: 'integer' }])],
    questions: [
      { id: 'taxes.paid', connector: 'taxes', title: 'Paid 2024', when: { any: { year: { eq: 2024 } } } },
      { id: 'taxes.name', connector: 'taxes', title: 'Name', when: { any: { name: { eq: { subject: 'name' } } } } },
      { id: 'taxes.none', connector: 'taxes', title: 'Unknown', when: { not: { any: {} } } }
    ],
    clients: [{
      id: CLIENT.sub, questions: ['taxes.paid', 'taxes.name', 'taxes.none'], purposes: ['check'], quotas: UNLIMITED
    }]
  })
  const people = makePeople(24, 5)
  const known = people.slice(0, 16)
  const csv = 'id_number,name,year\n' + known.map((p, i) => `${p.idNumber},${p.name},${2023 + (i % 2)}`).join('\n')
  const load = async (): Promise<number> => {
    const res = await admin('PUT', `/v1/connectors/taxes/snapshot?asOf=${AS_OF}`, csv, { 'content-type': 'text/csv' })
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json().snapshot.id
  }
  let cases = 0
  /** Every person's answers (a wrong name for every third), and the key versions their entries record. */
  const answers = async (): Promise<{ answers: string[][], versions: Set<number> }> => {
    const out: string[][] = []
    const versions = new Set<number>()
    for (const [i, p] of people.entries()) {
      const res = await env.verified(CLIENT, {
        idNumber: p.idNumber,
        name: i % 3 === 0 ? '王小明' : p.name,
        questions: ['taxes.paid', 'taxes.name', 'taxes.none'],
        purpose: 'check',
        caseId: 'rot-' + ++cases
      })
      out.push(res.answers.map((a) => a.answer))
      for (const a of res.answers) {
        const [row] = await database.query<{ entry: Uint8Array }>('select entry from audit_entries where index = $1',
          [a.auditIndex])
        const leaf = JSON.parse(Buffer.from(row!.entry).toString('utf8')) as { keyVersion: number }
        versions.add(leaf.keyVersion)
      }
    }
    return { answers: out, versions }
  }
  const hashes = async (snapshot: number): Promise<Set<string>> => new Set((await database.query<{ h: string }>(
    `select encode(subject_hash, 'hex') as h from records_s${snapshot}`)).map((r) => r.h))

  const first = await load()
  const before = await answers()

  t.test('before any rotation: master key version 1', async (t) => {
    t.same([...before.versions], [1])
    t.ok(before.answers.some((a) => a[0] === 'yes') && before.answers.some((a) => a[2] === 'yes'), 'both answers occur')
    const h = await hashes(first)
    t.ok(h.has(env.keyring.connector('taxes', 1).subjectHash(people[0]!.idNumber).toString('hex')))
  })

  t.test('only an admin rotates; an unknown connector is 404', async (t) => {
    const dept = env.as({ sub: 'steward', role: 'dept_admin', dept: 'tax' })
    t.equal((await dept('POST', '/v1/connectors/taxes/keys/rotate')).statusCode, 403)
    t.equal((await admin('POST', '/v1/connectors/nothing/keys/rotate')).json().code, 'NOT_FOUND')
  })

  t.test('a rotation changes nothing until the next load; the reload answers identically', async (t) => {
    const res = await admin('POST', '/v1/connectors/taxes/keys/rotate')
    t.equal(res.statusCode, 200)
    t.same(res.json(), { connector: 'taxes', keyVersion: 2 })
    const rotated = await answers()
    t.same(rotated.answers, before.answers, 'the same answers from the same snapshot')
    t.same([...rotated.versions], [1], 'still answered under version 1')

    const second = await load()
    const [row] = await database.query<{ v: number }>('select key_version as v from snapshots where id = $1', [second])
    t.equal(Number(row!.v), 2, 'the reload hashed under version 2')
    const h = await hashes(second)
    const id = people[0]!.idNumber
    t.notOk(h.has(env.keyring.connector('taxes', 1).subjectHash(id).toString('hex')), 'no version-1 hash')
    t.ok(h.has(env.keyring.connector('taxes', { version: 2, master: 1, tagged: true }).subjectHash(id).toString('hex')))
    const reloaded = await answers()
    t.same(reloaded.answers, before.answers, 'identical answers after the reload')
    t.same([...reloaded.versions], [2], 'entries record version 2')
  })

  t.test('shifou keys rotate --connector: the next version, its audit entry', async (t) => {
    const saved = { ...process.env }
    t.teardown(() => { process.env = saved })
    Object.assign(process.env, {
      DATABASE_URL: created.url,
      SHIFOU_MASTER_KEY: Buffer.from(TEST_MASTER).toString('base64'),
      SHIFOU_JWT_SECRET: Buffer.from(TEST_SECRET).toString('base64'),
      SHIFOU_CHECKPOINT_KEY: Buffer.from(TEST_CHECKPOINT_SEED).toString('base64')
    })
    const lines: string[] = []
    t.equal(await keysCommand(['rotate', '--connector', 'taxes', '--actor', 'ops-wang'], (l) => lines.push(l)), 0)
    t.match(lines[0], /connector taxes: key version 3/)
    const [entry] = await database.query<{ entry: Uint8Array }>(
      `select entry from audit_entries where kind = 'change' and code = 'ROTATE' order by index desc limit 1`)
    const e = JSON.parse(Buffer.from(entry!.entry).toString('utf8'))
    t.match(e, { actor: { sub: 'ops-wang' }, keyVersion: 3, detail: { id: 'taxes', keyVersion: 3, previous: 2 } })
    env.app.registry.invalidate()
    await load()
    const third = await answers()
    t.same(third.answers, before.answers, 'identical answers under version 3')
    t.same([...third.versions], [3])
  })
}
