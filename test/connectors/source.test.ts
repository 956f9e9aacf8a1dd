/**
 * Every snapshot source feeds the one loader (src/connectors/source.ts): rows of text cells from a
 * database driver load like the same CSV file — same records, same rejects by line, same
 * unreadable-subject markers — a missing column is named as the result's, a source that fails
 * part-way leaves the active snapshot answering and its attempt recorded with the source's code,
 * and the source is pulled only as fast as the loader writes.
 */
import t from 'tap'
import { Readable } from 'node:stream'
import { build, ADMIN } from '../helpers/app.ts'
import { callerOf } from '../helpers/claims.ts'
import { fileConnector, register, UNLIMITED } from '../helpers/registry.ts'
import { loadSnapshot } from '../../src/connectors/load.ts'
import { byteSource, cellSource, type Cell, type SourceDescription } from '../../src/connectors/source.ts'
import { getConnector } from '../../src/registry/store.ts'
import { makePeople } from '../../src/demo/population.ts'
import { ShifouError } from '../../src/errors.ts'
import type { Principal } from '../../src/principal.ts'

const env = await build(t)
const { database, keyring, verified } = env
const ACTOR: Principal = { sub: ADMIN.sub, role: 'admin' }
const CLIENT = callerOf('source-tests')
const AS_OF = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
const PULL: SourceDescription = { kind: 'pull', noun: 'the query\'s result', engine: 'test' }

const fields = [{ name: 'year', type: 'integer' }, { name: 'paid', type: 'boolean' }]
await register(env, {
  departments: [{ id: 'tax', name: 'Tax Bureau' }],
  connectors: [
    fileConnector('viacsv', 'tax', fields, { maxRejectRatio: 0.5 }),
    // The memory test streams 60,000 rows of these 30 people: 2,000 rows each, past the default bound.
    fileConnector('viacells', 'tax', fields, { maxRejectRatio: 0.5, maxRecordsPerSubject: 5000 })
  ],
  questions: ['viacsv', 'viacells'].flatMap((c) => [
    { id: c + '.paid', connector: c, title: 'Paid', when: { any: { year: { eq: 2024 }, paid: { eq: true } } } },
    { id: c + '.none', connector: c, title: 'No record', when: { not: { any: {} } } }
  ]),
  clients: [{
    id: CLIENT.sub,
    questions: ['viacsv.paid', 'viacsv.none', 'viacells.paid', 'viacells.none'],
    purposes: ['check'],
    quotas: UNLIMITED
  }]
})

const people = makePeople(30, 11)
/** The rows as a department's table holds them: a NULL year, one bad year, one bad ID. */
const table: Cell[][] = people.map((p, i) => [
  i === 3 ? null : String(2020 + (i % 5)),
  p.idNumber,
  i % 2 === 0 ? '是' : 'false'
])
table[7]![0] = 'twenty'
table[9]![1] = people[9]!.idNumber.slice(0, 17) + (people[9]!.idNumber.endsWith('0') ? '1' : '0')
const COLUMNS = ['year', 'id_number', 'paid']

async function * cells (rows: Cell[][], pulled?: { n: number }): AsyncGenerator<Cell[]> {
  for (const r of rows) {
    if (pulled !== undefined) pulled.n++
    yield r
  }
}
const csv = [COLUMNS.join(','), ...table.map((r) => r.map((c) => c ?? '').join(','))].join('\n') + '\n'

const byFile = await loadSnapshot({
  database, keyring, actor: ACTOR, connector: await getConnector(database, 'viacsv'), asOf: AS_OF,
  source: byteSource('csv', Readable.from([csv])), workers: { count: 0, afterRows: 0 }
})
const byCells = await loadSnapshot({
  database, keyring, actor: ACTOR, connector: await getConnector(database, 'viacells'), asOf: AS_OF,
  source: cellSource(COLUMNS, cells(table), PULL), workers: { count: 0, afterRows: 0 }
})

t.test('cells load as the same CSV does: counts, rejects by line, unreadable subjects', async (t) => {
  for (const k of ['rows', 'subjects', 'rejectedCount', 'unreadableSubjects', 'unlinkableRows'] as const) {
    t.equal(byCells[k], byFile[k], k)
  }
  t.equal(byCells.rows, 28)
  t.same(byCells.rejected.map((r) => [r.line, r.field, r.code]), byFile.rejected.map((r) => [r.line, r.field, r.code]))
  t.same(byCells.rejected.map((r) => r.line), [9, 11], 'row n of the result is line n + 1')
  const [row] = await database.query<{ entry: Uint8Array }>(
    `select entry from audit_entries where kind = 'load' and snapshot = $1`, [byCells.id])
  const entry = JSON.parse(Buffer.from(row!.entry).toString('utf8')) as { detail: { source: unknown } }
  t.same(entry.detail.source, { kind: 'pull', engine: 'test' }, 'the load entry names its source')
})

t.test('answers over cells are the answers over the file', async (t) => {
  for (const [i, p] of people.entries()) {
    const ask = async (c: string): Promise<string[]> => (await verified(CLIENT, {
      idNumber: p.idNumber, questions: [c + '.paid', c + '.none'], purpose: 'check', caseId: 'src-' + c + i
    }).catch(() => ({ answers: [{ answer: 'refused' }] }))).answers.map((a) => a.answer)
    t.same(await ask('viacells'), await ask('viacsv'), 'person ' + i)
  }
})

t.test('a declared column missing from a result is named as the result\'s', async (t) => {
  const connector = await getConnector(database, 'viacells')
  const err = await loadSnapshot({
    database, keyring, actor: ACTOR, connector, asOf: AS_OF,
    source: cellSource(['id_number', 'paid'], cells([[people[0]!.idNumber, 'true']]), PULL)
  }).catch((e: unknown) => e)
  t.equal((err as ShifouError).code, 'MISSING_COLUMN')
  t.match((err as ShifouError).detail, /missing from the query's result: year/)
})

t.test('a source failing part-way: the attempt fails with its code, the active snapshot stays', async (t) => {
  const connector = await getConnector(database, 'viacells')
  async function * failing (): AsyncGenerator<Cell[]> {
    yield * table.slice(0, 5)
    throw new ShifouError('INVALID_BODY', 'the source went away')
  }
  const err = await loadSnapshot({
    database, keyring, actor: ACTOR, connector, asOf: AS_OF, source: cellSource(COLUMNS, failing(), PULL)
  }).catch((e: unknown) => e)
  t.equal((err as ShifouError).code, 'INVALID_BODY')
  const [row] = await database.query<{ status: string, error: string, active: string }>(
    `select s.status, s.error, c.active_snapshot_id::text as active from snapshots s
       join connectors c on c.id = s.connector_id where s.connector_id = 'viacells' order by s.id desc limit 1`)
  t.same(row, { status: 'failed', error: 'INVALID_BODY', active: String(byCells.id) })
})

t.test('the loader pulls a source only as it writes (memory flat in the size of the data)', async (t) => {
  const connector = await getConnector(database, 'viacells')
  const pulled = { n: 0 }
  const seen: Array<[number, number]> = []
  const many = function * (): Generator<Cell[]> {
    for (let i = 0; i < 60_000; i++) yield [String(2024), people[i % people.length]!.idNumber, 'true']
  }
  async function * counted (): AsyncGenerator<Cell[]> {
    for (const r of many()) { pulled.n++; yield r }
  }
  await loadSnapshot({
    database, keyring, actor: ACTOR, connector, asOf: AS_OF, source: cellSource(COLUMNS, counted(), PULL),
    workers: { count: 0, afterRows: 0 },
    onProgress: (rows) => { seen.push([rows, pulled.n]) }
  })
  t.ok(seen.length > 2, 'progress was reported while the rows came')
  const lead = Math.max(...seen.map(([rows, n]) => n - rows))
  t.ok(lead < 10_000, `at most a few batches were pulled ahead of what was written (${lead})`)
})
