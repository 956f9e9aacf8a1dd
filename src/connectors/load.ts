/**
 * Loading a snapshot (design §5, PUT /v1/connectors/:id/snapshot): stream the file, normalise and
 * keyed-hash every subject, keep only declared fields, COPY into the snapshot's own table, index
 * it, and make it active in one short transaction together with its audit entry. Until then the
 * previous snapshot answers; a failed or interrupted load leaves it untouched.
 */
import { availableParallelism } from 'node:os'
import type { Readable } from 'node:stream'
import type { Database } from '../db/client.ts'
import type { ConnectorRow, RejectedRow } from '../db/schema/index.ts'
import type { Keyring } from '../keys/keyring.ts'
import { ID_NORM_VERSION, todayCst } from '../matchers/cn-resident-id.ts'
import { NAME_NORM_VERSION } from '../matchers/cn-name.ts'
import type { FieldType } from '../matchers/predicate/index.ts'
import { writeEntries } from '../audit/writer.ts'
import { ShifouError } from '../errors.ts'
import { actorOf, type Principal } from '../principal.ts'
import { MalformedInput, rowSource, type SnapshotFormat } from './rows.ts'
import { converter, flattenRows, type Converted, type ConvertSpec } from './convert.ts'
import { ConvertWorkers } from './convert-workers.ts'
import { attachPartition, createPartition, dropPartition, preparePartition } from './records.ts'
import type { SnapshotView } from './snapshots.ts'

export const MAX_REJECTED_LISTED = 1000
/** A load that has not reported progress for this long is taken to have died with its process. */
const STALE_LOAD_SECONDS = 120
/** Superseded snapshots keep answering in-flight requests of other processes for a while. */
const SUPERSEDED_GRACE_SECONDS = 600
const HEARTBEAT_MS = 2000
/**
 * Worker threads of a large load, and the rows converted in the loading thread before they take
 * over (small loads never pay for starting them). Two on two cores measured 3.7 s for 1M rows
 * against 3.9 s with one and 4.2 s with none, on the two-core bench machine (bench/README.md has
 * the runs with two).
 */
const DEFAULT_WORKERS = { count: Math.max(2, availableParallelism() - 1), afterRows: 50_000 }

/** The report of a completed load: the snapshot as GET /v1/connectors/:id/snapshots shows it. */
export type LoadResult = Omit<SnapshotView, 'status' | 'error'> & { status: 'active' }

export interface LoadOptions {
  database: Database
  keyring: Keyring
  actor: Principal
  connector: ConnectorRow
  asOf: string
  format: SnapshotFormat
  input: Readable
  onProgress?: (rows: number, rejected: number) => void
  /** Called once the snapshot is active (to refresh the in-memory registry). */
  onActivated?: () => void
  /** Worker threads that convert rows (src/connectors/convert-workers.ts); count 0 converts in this thread. */
  workers?: { count: number, afterRows: number }
}

/** Checks `asOf`: a calendar date (YYYY-MM-DD), not after today in China Standard Time. */
export function checkAsOf (asOf: string, now = new Date()): void {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(asOf)
  const midnight = asOf + 'T00:00:00Z'
  // A date that does not exist (2026-02-30) parses, to another day: it must come back as written.
  if (m === null || Number.isNaN(Date.parse(midnight)) || new Date(midnight).toISOString().slice(0, 10) !== asOf) {
    throw new ShifouError('INVALID_QUERY', 'asOf must be a date YYYY-MM-DD')
  }
  if (asOf.replaceAll('-', '') > todayCst(now)) throw new ShifouError('INVALID_QUERY', 'asOf may not be in the future')
}

async function startSnapshot (opts: LoadOptions): Promise<number> {
  const { database, connector } = opts
  const abandoned = await database.query<{ id: number }>(`update snapshots set status = 'failed', error = 'ABANDONED'
    where connector_id = $1 and status = 'loading' and heartbeat_at < now() - make_interval(secs => $2)
    returning id`, [connector.id, STALE_LOAD_SECONDS])
  // A load that died with its process left its half-written table behind (never attached).
  for (const { id } of abandoned) await dropPartition(database.maintenance, Number(id), false)
  const norm = connector.fields.some((f) => f.type === 'name')
    ? ID_NORM_VERSION + ',' + NAME_NORM_VERSION
    : ID_NORM_VERSION
  try {
    const [row] = await database.query<{ id: number }>(
      `insert into snapshots (connector_id, status, as_of, key_version, norm, started_by)
        values ($1, 'loading', $2, $3, $4, $5) returning id`,
      [connector.id, opts.asOf, opts.keyring.currentVersion, norm, opts.actor.sub])
    return Number(row!.id)
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new ShifouError('LOAD_IN_PROGRESS', 'A load of this connector is running')
    }
    throw err
  }
}

export async function loadSnapshot (opts: LoadOptions): Promise<LoadResult> {
  const { database, keyring, connector } = opts
  if (!connector.active) throw new ShifouError('NOT_FOUND', 'No such connector')
  const snapshotId = await startSnapshot(opts)
  const keys = keyring.connector(connector.id, keyring.currentVersion)
  const today = todayCst()
  const rejected: RejectedRow[] = []
  let rejectedCount = 0
  let rows = 0
  let partitionCreated = false

  const reject = (line: number, field: string, code: string): void => {
    rejectedCount++
    if (rejected.length < MAX_REJECTED_LISTED) rejected.push({ line, field, code })
  }

  const heartbeat = setInterval(() => {
    database.query('update snapshots set heartbeat_at = now() where id = $1', [snapshotId]).catch(() => {})
  }, HEARTBEAT_MS)
  heartbeat.unref()

  try {
    const source = await rowSource(opts.format, opts.input)
    if (source.columns === null) throw new ShifouError('EMPTY_SNAPSHOT', 'The file has no data rows')
    const declared = [{ name: connector.subjectField, type: 'subject' }, ...connector.fields]
    // A CSV header must name every declared column. In NDJSON a key left out is a null (serialisers
    // drop null members), so only the subject field must be in the first object.
    const required = opts.format === 'csv' ? declared : declared.slice(0, 1)
    const missing = required.filter((f) => !source.columns!.includes(f.name)).map((f) => f.name)
    if (missing.length > 0) {
      const message = 'Declared columns missing from the file: ' + missing.join(', ')
      throw new ShifouError('MISSING_COLUMN', message, { missing })
    }
    const spec: ConvertSpec = {
      snapshotId,
      format: opts.format,
      subjectField: connector.subjectField,
      subjectIndex: source.columns.indexOf(connector.subjectField),
      width: source.columns.length,
      columns: connector.fields.map((f) => ({
        name: f.name,
        type: f.type as FieldType,
        index: source.columns!.indexOf(f.name)
      })),
      today,
      keys: keys.material(connector.fields.filter((f) => f.type === 'name' || f.type === 'hashed').map((f) => f.name))
    }
    const declaredNames = new Set(declared.map((f) => f.name))
    const ignored = new Set(source.columns.filter((c) => !declaredNames.has(c)))

    await createPartition(database.maintenance, snapshotId)
    partitionCreated = true
    const sink = await database.copyIn('records_s' + snapshotId, [
      'snapshot_id', 'subject_hash', 'key_version', 'attrs'
    ])
    // The first rows are converted in this thread, then worker threads take over.
    const { count: workerCount, afterRows } = opts.workers ?? DEFAULT_WORKERS
    const convertHere = converter(spec)
    let workers: ConvertWorkers | null = null
    const inFlight: Array<Promise<Converted>> = []
    let submitted = 0
    let out = ''
    const take = async (c: Converted): Promise<void> => {
      rows += c.rows
      for (const [line, field, code] of c.rejected) reject(line, field, code)
      out += c.text
      // COPY lines go out in chunks of ~256 KiB: one socket write per row was the loader's
      // largest cost in a profile (1.5 s of 8 s for 300,000 rows).
      if (out.length >= 262144) {
        await sink.write(out)
        out = ''
        opts.onProgress?.(rows, rejectedCount)
      }
    }
    try {
      for await (const batch of source.batches) {
        const flat = flattenRows(batch, spec, declaredNames, (key) => ignored.add(key))
        if (workers === null && workerCount > 0 && submitted >= afterRows) {
          workers = new ConvertWorkers(spec, workerCount)
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
      if (out !== '') await sink.write(out)
      await sink.end()
    } catch (err) {
      await sink.abort()
      throw err
    } finally {
      await workers?.close()
    }
    const ignoredColumns = [...ignored].slice(0, 100)
    opts.onProgress?.(rows, rejectedCount)

    if (rows + rejectedCount === 0) throw new ShifouError('EMPTY_SNAPSHOT', 'The file has no data rows')
    if (rows === 0 || rejectedCount / (rows + rejectedCount) > connector.maxRejectRatio) {
      const message = `${rejectedCount} of ${rows + rejectedCount} rows were rejected, ` +
        `above the connector's limit of ${connector.maxRejectRatio}`
      throw new ShifouError('REJECT_RATIO_EXCEEDED', message, { rejectedCount, rejected })
    }

    const { subjects } = await preparePartition(database.maintenance, snapshotId)
    const loadedAt = await activate(opts, snapshotId, { rows, subjects, rejectedCount, rejected, ignoredColumns })
    clearInterval(heartbeat)
    opts.onActivated?.()
    await dropSuperseded(database, connector.id).catch(() => {})
    return {
      id: snapshotId,
      connector: connector.id,
      status: 'active',
      rows,
      subjects,
      rejectedCount,
      rejected,
      ignoredColumns,
      asOf: opts.asOf,
      loadedAt
    }
  } catch (failure) {
    clearInterval(heartbeat)
    // A file that is not UTF-8 or not well-formed CSV is refused whole, with nothing stored.
    const err = failure instanceof MalformedInput
      ? new ShifouError('INVALID_BODY', 'The file is malformed: ' + failure.message)
      : failure
    const code = err instanceof ShifouError ? err.code : 'LOAD_FAILED'
    await fail(opts, snapshotId, code, partitionCreated, { rows, rejectedCount }).catch(() => {})
    throw err
  }
}

interface LoadCounts {
  rows: number
  subjects: number
  rejectedCount: number
  rejected: RejectedRow[]
  ignoredColumns: string[]
}

async function activate (opts: LoadOptions, snapshotId: number, counts: LoadCounts): Promise<string> {
  const { database, connector } = opts
  return await database.transaction(async (tx) => {
    // Serialise activations of one connector and find the snapshot being replaced.
    const [current] = await tx.query<{ active_snapshot_id: number | null }>(
      'select active_snapshot_id from connectors where id = $1 for update', [connector.id])
    await attachPartition(tx, snapshotId)
    const [row] = await tx.query<{ loaded_at: string }>(
      `update snapshots set status = 'active', rows = $2, subjects = $3, rejected_count = $4,
          rejected = $5::jsonb, ignored_columns = $6::jsonb, loaded_at = now(), heartbeat_at = now()
        where id = $1 returning to_char(loaded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as loaded_at`,
      [
        snapshotId, counts.rows, counts.subjects, counts.rejectedCount,
        JSON.stringify(counts.rejected), JSON.stringify(counts.ignoredColumns)
      ])
    const previous = current?.active_snapshot_id ?? null
    if (previous !== null) {
      await tx.query(`update snapshots set status = 'superseded', superseded_at = now() where id = $1`, [previous])
    }
    await tx.query(
      'update connectors set active_snapshot_id = $2, updated_at = now() where id = $1', [connector.id, snapshotId])
    await writeEntries(tx, [{
      kind: 'load',
      actor: actorOf(opts.actor),
      snapshot: snapshotId,
      asOf: opts.asOf,
      keyVersion: opts.keyring.currentVersion,
      norm: ID_NORM_VERSION,
      code: 'ACTIVE',
      detail: {
        connector: connector.id,
        rows: counts.rows,
        subjects: counts.subjects,
        rejected: counts.rejectedCount,
        previous
      }
    }])
    return row!.loaded_at
  })
}

async function fail (
  opts: LoadOptions,
  snapshotId: number,
  code: string,
  partitionCreated: boolean,
  counts: { rows: number, rejectedCount: number }
): Promise<void> {
  const { database, connector } = opts
  if (partitionCreated) await dropPartition(database.maintenance, snapshotId, false)
  await database.transaction(async (tx) => {
    await tx.query(`update snapshots
        set status = 'failed', error = $2, rows = $3, rejected_count = $4, heartbeat_at = now()
      where id = $1`, [snapshotId, code, counts.rows, counts.rejectedCount])
    await writeEntries(tx, [{
      kind: 'load',
      actor: actorOf(opts.actor),
      snapshot: snapshotId,
      asOf: opts.asOf,
      code,
      detail: { connector: connector.id, rows: counts.rows, rejected: counts.rejectedCount }
    }])
  })
}

/** Drops the records of snapshots replaced more than the grace period ago. */
async function dropSuperseded (database: Database, connectorId: string): Promise<void> {
  const old = await database.query<{ id: number }>(`select id from snapshots
    where connector_id = $1 and status = 'superseded' and dropped = 0
      and superseded_at < now() - make_interval(secs => $2)`,
  [connectorId, SUPERSEDED_GRACE_SECONDS])
  for (const { id } of old) {
    await dropPartition(database.maintenance, Number(id), true)
    await database.query('update snapshots set dropped = 1 where id = $1', [id])
  }
}
