/**
 * A large load's rows are converted in worker threads (src/connectors/convert-workers.ts): the
 * snapshot must be the one the loading thread alone makes — the same records, the same rejected
 * rows in the same order, the same counts — for CSV (quoted cells spanning lines included) and
 * NDJSON, with names and hashed fields keyed-hashed.
 */
import t from 'tap'
import { Readable } from 'node:stream'
import { build, ADMIN } from '../helpers/app.ts'
import { createConnector, createDepartment, getConnector } from '../../src/registry/store.ts'
import { loadSnapshot, type LoadResult } from '../../src/connectors/load.ts'
import { ConvertWorkers } from '../../src/connectors/convert-workers.ts'
import { makeId, prng } from '../../src/demo/population.ts'

const ROWS = 3000
const FIELDS = [
  { name: 'name', type: 'name' }, { name: 'age', type: 'integer' }, { name: 'score', type: 'number' },
  { name: 'code', type: 'hashed' }, { name: 'note', type: 'string' }, { name: 'member', type: 'boolean' }
]

/** Rows with every kind of trouble a file has: bad IDs, bad values, short records, quotes, backslashes. */
function people (): Array<Record<string, unknown>> {
  const rand = prng(42)
  return Array.from({ length: ROWS }, (_, i) => ({
    id_number: i % 97 === 5 ? '110105199003071234' : makeId(rand),
    name: i % 89 === 3 ? 'x'.repeat(200) : ['张三', '李 四', 'Zhāng Wěi', '王五'][i % 4],
    age: i % 83 === 7 ? 'old' : i % 90,
    score: (i * 7.25) % 100,
    code: 'A-' + (i % 13),
    note: i % 11 === 0 ? 'line one\nline "two"' : 'back\\slash ' + i,
    member: i % 2 === 0,
    extra: 'dropped'
  }))
}

function csv (rows: Array<Record<string, unknown>>): string {
  const cell = (v: unknown): string => {
    const s = String(v)
    return /[",\n]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s
  }
  const header = Object.keys(rows[0]!)
  return (
    header.join(',') +
    '\n' +
    rows.map((r, i) => (i % 101 === 9 ? 'short,row' : header.map((h) => cell(r[h])).join(','))).join('\n') +
    '\n'
  )
}

function ndjson (rows: Array<Record<string, unknown>>): string {
  return (
    rows
      .map((r, i) =>
        i % 101 === 9 ? '{not json' : JSON.stringify({ ...r, age: typeof r.age === 'number' ? r.age : r.age })
      )
      .join('\n') + '\n'
  )
}

/** The body in pieces of 2 KiB, as a network delivers it: the reader yields a batch of rows a piece. */
function pieces (body: string): Readable {
  const buf = Buffer.from(body)
  const out: Buffer[] = []
  for (let i = 0; i < buf.length; i += 2048) out.push(buf.subarray(i, i + 2048))
  return Readable.from(out)
}

t.test('worker threads make the snapshot the loading thread makes', async (t) => {
  const { database, keyring } = await build(t)
  const deps = { database, onChange: () => {} }
  await createDepartment(deps, ADMIN, { id: 'civil', name: 'Civil Affairs' })
  const rows = people()
  for (const [format, body] of [['csv', csv(rows)], ['ndjson', ndjson(rows)]] as const) {
    // Both loads into one connector, so that both are hashed under the same keys.
    const id = 'w-' + format
    await createConnector(deps, ADMIN, {
      id,
      department: 'civil',
      title: id,
      kind: 'file',
      subject: { field: 'id_number', type: 'cn_resident_id' },
      fields: FIELDS,
      maxRejectRatio: 0.5
    })
    const results: Array<{ report: LoadResult, records: Array<{ h: string, attrs: unknown }> }> = []
    for (const workers of [{ count: 0, afterRows: 0 }, { count: 2, afterRows: 500 }]) {
      const started = ConvertWorkers.started
      const report = await loadSnapshot({
        database,
        keyring,
        actor: ADMIN,
        connector: await getConnector(database, id),
        asOf: '2026-11-01',
        format,
        input: pieces(body),
        workers
      })
      t.equal(ConvertWorkers.started - started, workers.count, `${format}: ${workers.count} worker threads started`)
      const records = await database.query<{ h: string, attrs: unknown }>(
        `select encode(subject_hash, 'hex') as h, attrs from records where snapshot_id = $1 order by 1, 2::text`,
        [report.id]
      )
      results.push({ report, records })
    }
    const [here, threads] = results
    t.ok(
      here!.report.rows > ROWS * 0.8,
      `${format}: ${here!.report.rows} rows loaded, ${here!.report.rejectedCount} rejected`
    )
    t.same(
      [...new Set(here!.report.rejected.map((r) => r.code))].sort(),
      ['INVALID_ID_NUMBER', 'INVALID_NAME', 'INVALID_VALUE', 'MALFORMED_ROW'],
      `${format}: rows rejected for every kind of fault`
    )
    t.equal(threads!.report.rows, here!.report.rows, `${format}: the same rows loaded`)
    t.equal(threads!.report.subjects, here!.report.subjects, `${format}: the same subjects`)
    t.same(threads!.report.rejected, here!.report.rejected, `${format}: the same rejected rows, in file order`)
    t.same(threads!.report.ignoredColumns, here!.report.ignoredColumns, `${format}: the same ignored columns`)
    t.equal(threads!.records.filter((r) => r.attrs !== null).length, here!.report.rows, `${format}: a record per row`)
    t.equal(threads!.report.unreadableSubjects, here!.report.unreadableSubjects,
      `${format}: the same unreadable subjects`)
    t.equal(threads!.report.unlinkableRows, here!.report.unlinkableRows, `${format}: the same unlinkable rows`)
    const markers = threads!.records.filter((r) => r.attrs === null).length
    t.equal(markers, here!.report.rejectedCount - here!.report.unlinkableRows,
      `${format}: a marker for every rejected row whose subject can be read`)
    t.same(threads!.records, here!.records, `${format}: the same records, byte for byte`)
  }
})
