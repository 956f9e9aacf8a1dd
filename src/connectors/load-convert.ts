/**
 * The loader's middle stage (source → **convert** → activate): the source's rows, matched to the
 * declared columns, normalised, keyed-hashed and written by COPY into the snapshot's own table,
 * with a marker row for each subject behind a rejected row (design §14.1), and every rejected row
 * counted and kept for the reject report. Nothing here depends on where the rows came from.
 */
import { availableParallelism } from 'node:os'
import type { Database } from '../db/client.ts'
import type { ConnectorRow, RejectedRow } from '../db/schema/index.ts'
import type { ConnectorKeys } from '../keys/keyring.ts'
import type { FieldType } from '../matchers/predicate/index.ts'
import type { Principal } from '../principal.ts'
import { ShifouError } from '../errors.ts'
import { converter, flattenRows, type Converted, type ConvertSpec, type Rejected } from './convert.ts'
import { ConvertWorkers } from './convert-workers.ts'
import { createPartition, partitionName } from './records.ts'
import { RecordCap } from './record-cap.ts'
import { declaredColumns, locateColumns } from './columns.ts'
import type { RejectWriter } from './rejects.ts'
import type { RowSource, SourceDescription } from './source.ts'
import { db } from './load-failure.ts'

export const MAX_REJECTED_LISTED = 1000
/**
 * Worker threads of a large load, and the rows converted in the loading thread before they take
 * over (small loads never pay for starting them). Two on two cores measured 3.7 s for 1M rows
 * against 3.9 s with one and 4.2 s with none, on the two-core bench machine (bench/README.md has
 * the runs with two).
 */
export const DEFAULT_WORKERS = { count: Math.max(2, availableParallelism() - 1), afterRows: 50_000 }

/** One load attempt as its stages share it. */
export interface LoadContext {
  database: Database
  connector: ConnectorRow
  actor: Principal
  asOf: string
  snapshotId: number
  /** the connector's key version the rows are hashed under (recorded with the snapshot and its entries) */
  keyVersion: number
  /** where the rows came from, as the load's audit entry records it */
  source: SourceDescription
  /** how errors speak of the rows: "the file", "the query's result" */
  noun: string
}

/** What an attempt counted: what its record shows, whether it completes or fails. */
export interface Counts {
  rows: number
  subjects: number
  rejectedCount: number
  rejectedByCode: Record<string, number>
  rejected: RejectedRow[]
  unreadableSubjects: number
  unlinkableRows: number
  ignoredColumns: string[]
}

export const noCounts = (): Counts => ({
  rows: 0,
  subjects: 0,
  rejectedCount: 0,
  rejectedByCode: {},
  rejected: [],
  unreadableSubjects: 0,
  unlinkableRows: 0,
  ignoredColumns: []
})

export interface ConvertOptions {
  keys: ConnectorKeys
  /** today in China Standard Time (YYYYMMDD) */
  today: string
  report: RejectWriter
  counts: Counts
  /** called once the snapshot's table exists (a failure must then drop it) */
  onPartition: () => void
  onProgress?: (rows: number, rejected: number) => void
  workers?: { count: number, afterRows: number }
}

/** Converts every row of `rows` into the snapshot's table; the counts are in `opts.counts`. */
export async function convertRows (ctx: LoadContext, rows: RowSource, opts: ConvertOptions): Promise<void> {
  const { database, connector, snapshotId } = ctx
  const { counts, report } = opts
  if (rows.columns === null) throw new ShifouError('EMPTY_SNAPSHOT', `${capital(ctx.noun)} has no data rows`)
  const declared = declaredColumns(connector)
  // Text cells (a CSV header, a result's columns) must name every declared column. In NDJSON a key
  // left out is a null (serialisers drop null members), so only the subject's must be in the first object.
  const at = locateColumns(rows.columns, declared, rows.format === 'csv' ? declared : declared.slice(0, 1),
    ctx.noun)
  const spec: ConvertSpec = {
    snapshotId,
    format: rows.format,
    subjectField: connector.subjectField,
    subjectIndex: at.get(connector.subjectField) ?? -1,
    subjectKey: declared[0]!.column,
    width: rows.columns.length,
    columns: connector.fields.map((f, k) => ({
      name: f.name, type: f.type as FieldType, index: at.get(f.name) ?? -1, key: declared[k + 1]!.column
    })),
    today: opts.today,
    keys: opts.keys.material(connector.fields.filter((f) => f.type === 'name' || f.type === 'hashed')
      .map((f) => f.name))
  }
  const declaredKeys = new Set(declared.map((c) => c.column))
  const ignored = new Set(rows.columns.filter((c) => c !== '' && !declaredKeys.has(c)))

  const reject = async (rejected: readonly Rejected[]): Promise<void> => {
    for (const [line, field, code, reason] of rejected) {
      counts.rejectedCount++
      counts.rejectedByCode[code] = (counts.rejectedByCode[code] ?? 0) + 1
      if (counts.rejected.length < MAX_REJECTED_LISTED) counts.rejected.push({ line, field, code, reason })
    }
    await db(report.add(rejected))
  }

  await db(createPartition(database.maintenance, snapshotId))
  opts.onPartition()
  const columns = ['snapshot_id', 'subject_hash', 'key_version', 'attrs']
  const sink = await db(database.copyIn(partitionName(snapshotId), columns))
  // The first rows are converted in this thread, then worker threads take over.
  const { count: workerCount, afterRows } = opts.workers ?? DEFAULT_WORKERS
  const convertHere = converter(spec)
  let workers: ConvertWorkers | null = null
  const inFlight: Array<Promise<Converted>> = []
  let submitted = 0
  let out = ''
  const cap = new RecordCap(connector.maxRecordsPerSubject, connector.subjectField)
  const take = async (c: Converted): Promise<void> => {
    cap.add(c.tally)
    counts.rows += c.rows
    counts.unlinkableRows += c.unlinkable
    if (c.rejected.length > 0) await reject(c.rejected)
    out += c.text
    // COPY lines go out in chunks of ~256 KiB: one socket write per row was the loader's
    // largest cost in a profile (1.5 s of 8 s for 300,000 rows).
    if (out.length >= 262144) {
      await db(sink.write(out))
      out = ''
      opts.onProgress?.(counts.rows, counts.rejectedCount)
    }
  }
  try {
    for await (const batch of rows.batches) {
      const flat = flattenRows(batch, spec, declaredKeys, (key) => ignored.add(key))
      if (workers === null && workerCount > 0 && submitted >= afterRows) {
        workers = await ConvertWorkers.start(spec, workerCount)
      }
      for (const row of batch) submitted += row.kind === 'csvLines' ? row.count : 1
      if (workers === null) {
        await take(convertHere(flat))
        continue
      }
      const converted = workers.convert(flat)
      converted.catch(() => {}) // awaited in order below; a failure surfaces there
      inFlight.push(converted)
      while (inFlight.length > 2 * workerCount) await take(await inFlight.shift()!)
    }
    while (inFlight.length > 0) await take(await inFlight.shift()!)
    if (out !== '') await db(sink.write(out))
    await db(sink.end())
  } catch (err) {
    await sink.abort()
    throw err
  } finally {
    await workers?.close()
    counts.ignoredColumns = [...ignored].slice(0, 100)
  }
  const capped = await db(cap.apply(database.maintenance, snapshotId))
  if (capped.rows > 0) {
    counts.rows -= capped.rows
    counts.rejectedCount += capped.rows
    counts.rejectedByCode.TOO_MANY_RECORDS = capped.rows
    for (const [line, field, code, reason] of capped.rejected) {
      if (counts.rejected.length < MAX_REJECTED_LISTED) counts.rejected.push({ line, field, code, reason })
    }
    await db(report.add(capped.rejected))
  }
  await db(report.flush())
  opts.onProgress?.(counts.rows, counts.rejectedCount)
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)
