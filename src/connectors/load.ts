/**
 * Loading a snapshot (design §5, PUT /v1/connectors/:id/snapshot; §14.1): stream the file in its
 * encoding, find the declared columns by their headers, normalise and keyed-hash every subject,
 * keep only declared fields, COPY into the snapshot's own table (with a marker row for each
 * subject behind a rejected row), index it, and make it active in one short transaction together
 * with its audit entry. Until then the previous snapshot answers; a failed or interrupted load
 * leaves it untouched. Every attempt keeps its record (times, actor, counts) and its rejected
 * rows (the reject report), whether it completes or fails.
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
import { isCalendarDate } from '../instant.ts'
import { ShifouError } from '../errors.ts'
import { actorOf, type Principal } from '../principal.ts'
import { isConnectionFailure, isUnavailable } from '../db/unavailable.ts'
import { EncodingError, MalformedInput, rowSource, type SnapshotFormat, type TextEncoding } from './rows.ts'
import { converter, flattenRows, type Converted, type ConvertSpec, type Rejected } from './convert.ts'
import { ConvertWorkers } from './convert-workers.ts'
import { attachPartition, createPartition, dropPartition, partitionName, preparePartition } from './records.ts'
import { declaredColumns, locateColumns } from './columns.ts'
import { pruneReports, RejectWriter } from './rejects.ts'
import { getSnapshot, type SnapshotView } from './snapshots.ts'

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
  /** the keys of the connector being loaded (a department agent has only its connector's) */
  keyring: Pick<Keyring, 'currentVersion' | 'connector'>
  actor: Principal
  connector: ConnectorRow
  asOf: string
  format: SnapshotFormat
  /** the upload's text encoding (the charset of its Content-Type); default UTF-8 */
  encoding?: TextEncoding
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
  // A date that does not exist (2026-02-30, year 0000) is refused, not read as another day.
  if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new ShifouError('INVALID_QUERY', 'asOf must be a date YYYY-MM-DD in years 0001-9999')
  }
  if (asOf.replaceAll('-', '') > todayCst(now)) throw new ShifouError('INVALID_QUERY', 'asOf may not be in the future')
}

async function startSnapshot (opts: LoadOptions): Promise<number> {
  const { database, connector } = opts
  // Failures of this process's loads that the database was not there to record come first.
  await recordPendingFailures(database, connector.id)
  const abandoned = await database.query<{ id: number }>(`update snapshots
    set status = 'abandoned', error = 'ABANDONED', finished_at = now()
    where connector_id = $1 and status = 'loading' and heartbeat_at < now() - make_interval(secs => $2) returning id`,
  [connector.id, STALE_LOAD_SECONDS])
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
    await pruneReports(database, connector.id)
    return Number(row!.id)
  } catch (err) {
    if ((err as { code?: string }).code === '23505') {
      throw new ShifouError('LOAD_IN_PROGRESS', 'A load of this connector is running')
    }
    throw err
  }
}

/** What an attempt counted: what its record shows, whether it completes or fails. */
interface Counts {
  rows: number
  subjects: number
  rejectedCount: number
  rejectedByCode: Record<string, number>
  rejected: RejectedRow[]
  unreadableSubjects: number
  unlinkableRows: number
  ignoredColumns: string[]
}

export async function loadSnapshot (opts: LoadOptions): Promise<LoadResult> {
  const { database, keyring, connector } = opts
  if (!connector.active) throw new ShifouError('NOT_FOUND', 'No such connector')
  let snapshotId: number
  try {
    snapshotId = await startSnapshot(opts)
  } catch (err) {
    throw isUnavailable(err) && !(err instanceof ShifouError) ? unavailable() : err
  }
  const keys = keyring.connector(connector.id, keyring.currentVersion)
  const today = todayCst()
  const counts: Counts = {
    rows: 0,
    subjects: 0,
    rejectedCount: 0,
    rejectedByCode: {},
    rejected: [],
    unreadableSubjects: 0,
    unlinkableRows: 0,
    ignoredColumns: []
  }
  const report = new RejectWriter(database, snapshotId)
  let partitionCreated = false

  const reject = async (rows: readonly Rejected[]): Promise<void> => {
    for (const [line, field, code, reason] of rows) {
      counts.rejectedCount++
      counts.rejectedByCode[code] = (counts.rejectedByCode[code] ?? 0) + 1
      if (counts.rejected.length < MAX_REJECTED_LISTED) counts.rejected.push({ line, field, code, reason })
    }
    await db(report.add(rows))
  }

  const heartbeat = setInterval(() => {
    database.query('update snapshots set heartbeat_at = now() where id = $1', [snapshotId]).catch(() => {})
  }, HEARTBEAT_MS)
  heartbeat.unref()

  try {
    const source = await rowSource(opts.format, opts.input, opts.encoding ?? 'utf-8')
    if (source.columns === null) throw new ShifouError('EMPTY_SNAPSHOT', 'The file has no data rows')
    const declared = declaredColumns(connector)
    // A CSV header must name every declared column. In NDJSON a key left out is a null (serialisers
    // drop null members), so only the subject's must be in the first object.
    const at = locateColumns(source.columns, declared, opts.format === 'csv' ? declared : declared.slice(0, 1))
    const spec: ConvertSpec = {
      snapshotId,
      format: opts.format,
      subjectField: connector.subjectField,
      subjectIndex: at.get(connector.subjectField) ?? -1,
      subjectKey: declared[0]!.column,
      width: source.columns.length,
      columns: connector.fields.map((f, k) => ({
        name: f.name, type: f.type as FieldType, index: at.get(f.name) ?? -1, key: declared[k + 1]!.column
      })),
      today,
      keys: keys.material(connector.fields.filter((f) => f.type === 'name' || f.type === 'hashed').map((f) => f.name))
    }
    const declaredKeys = new Set(declared.map((c) => c.column))
    const ignored = new Set(source.columns.filter((c) => c !== '' && !declaredKeys.has(c)))

    await db(createPartition(database.maintenance, snapshotId))
    partitionCreated = true
    const columns = ['snapshot_id', 'subject_hash', 'key_version', 'attrs']
    const sink = await db(database.copyIn(partitionName(snapshotId), columns))
    // The first rows are converted in this thread, then worker threads take over.
    const { count: workerCount, afterRows } = opts.workers ?? DEFAULT_WORKERS
    const convertHere = converter(spec)
    let workers: ConvertWorkers | null = null
    const inFlight: Array<Promise<Converted>> = []
    let submitted = 0
    let out = ''
    const take = async (c: Converted): Promise<void> => {
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
      for await (const batch of source.batches) {
        const flat = flattenRows(batch, spec, declaredKeys, (key) => ignored.add(key))
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
      if (out !== '') await db(sink.write(out))
      await db(sink.end())
    } catch (err) {
      await sink.abort()
      throw err
    } finally {
      await workers?.close()
      counts.ignoredColumns = [...ignored].slice(0, 100)
    }
    await db(report.flush())
    opts.onProgress?.(counts.rows, counts.rejectedCount)

    const total = counts.rows + counts.rejectedCount
    if (total === 0) throw new ShifouError('EMPTY_SNAPSHOT', 'The file has no data rows')
    if (counts.rows === 0 || counts.rejectedCount / total > connector.maxRejectRatio) {
      throw new ShifouError('REJECT_RATIO_EXCEEDED', `${counts.rejectedCount} of ${total} rows were rejected, ` +
        `above the connector's limit of ${connector.maxRejectRatio}; ` +
        `every rejected row and why is in the reject report of snapshot ${snapshotId}`,
      { rejectedCount: counts.rejectedCount, rejectedByCode: counts.rejectedByCode, rejected: counts.rejected })
    }

    // Every rejected row whose subject could be read wrote a marker.
    const markers = counts.rejectedCount > counts.unlinkableRows
    const prepared = await db(preparePartition(database.maintenance, snapshotId, markers))
    counts.subjects = prepared.subjects
    counts.unreadableSubjects = prepared.unreadable
    await db(activate(opts, snapshotId, counts))
    clearInterval(heartbeat)
    opts.onActivated?.()
    await dropSuperseded(database, connector.id).catch(() => {})
    const view = await getSnapshot(database, snapshotId)
    return { ...view!, status: 'active' }
  } catch (failure) {
    clearInterval(heartbeat)
    const err = asLoadError(failure, opts)
    const code = err instanceof ShifouError ? err.code : 'LOAD_FAILED'
    // Recorded now, or (the database gone) in the background and before the connector's next load.
    await fail(opts, snapshotId, code, partitionCreated, counts, report)
    throw err instanceof ShifouError ? withSnapshot(err, snapshotId) : err
  }
}

/** An error of one of the load's database calls that means the database (not the upload) failed. */
class DatabaseFailure extends Error {
  readonly failure: unknown
  constructor (failure: unknown) {
    super('the database failed during the load')
    this.failure = failure
  }
}

/**
 * A database call of the load. A lost connection surfaces as a socket error (ECONNRESET, EPIPE)
 * as often as a PostgreSQL code; the upload's own socket raises the same codes, so the load's
 * calls say which side failed.
 */
async function db<T> (call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (err) {
    throw isConnectionFailure(err) ? new DatabaseFailure(err) : err
  }
}

function unavailable (): ShifouError {
  return new ShifouError('DATABASE_UNAVAILABLE', 'The database was unavailable or busy during the load; ' +
    'nothing was changed. ' +
    'Load the file again once the database is back')
}

/** The error a failed load answers with. */
function asLoadError (failure: unknown, opts: LoadOptions): unknown {
  if (failure instanceof EncodingError) return encodingError(failure, opts.format)
  // A file that is not well-formed CSV or NDJSON is refused whole, with nothing stored.
  if (failure instanceof MalformedInput) {
    return new ShifouError('INVALID_BODY', 'The file is malformed: ' + failure.message)
  }
  if (failure instanceof DatabaseFailure) return unavailable()
  return failure
}

function encodingError (e: EncodingError, format: SnapshotFormat): ShifouError {
  const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson'
  if (e.utf16) {
    return new ShifouError('INVALID_ENCODING', 'The file is UTF-16 ("Unicode text"). Save it as "CSV UTF-8" ' +
      '(or as CSV, which is GB18030 on Chinese Windows, and send it with ' +
      `Content-Type: ${type}; charset=gb18030)`, { line: 1 })
  }
  if (e.encoding === 'utf-8') {
    return new ShifouError('INVALID_ENCODING', `The file is not valid UTF-8 at line ${e.line}. ` +
      'A file saved by Excel on Chinese Windows is usually GB18030: ' +
      `send it with Content-Type: ${type}; charset=gb18030 (shifou load --encoding gb18030), ` +
      'or save it as "CSV UTF-8"', { line: e.line })
  }
  return new ShifouError('INVALID_ENCODING', `The file is not valid GB18030 at line ${e.line}: ` +
    'check the file\'s encoding ' +
    '(UTF-8 is sent without a charset, or with charset=utf-8)', { line: e.line })
}

/** The same error, naming the attempt so that its record and reject report can be found. */
function withSnapshot (err: ShifouError, snapshotId: number): ShifouError {
  return new ShifouError(err.code, err.detail, { ...(err.extra ?? {}), snapshot: snapshotId })
}

async function activate (opts: LoadOptions, snapshotId: number, counts: Counts): Promise<void> {
  const { database, connector } = opts
  await database.transaction(async (tx) => {
    // Serialise activations of one connector and find the snapshot being replaced.
    const [current] = await tx.query<{ active_snapshot_id: number | null }>(
      'select active_snapshot_id from connectors where id = $1 for update', [connector.id])
    await attachPartition(tx, snapshotId)
    const updated = await tx.query(`update snapshots set status = 'active', rows = $2, subjects = $3,
        rejected_count = $4, rejected = $5::jsonb, ignored_columns = $6::jsonb, rejected_by_code = $7::jsonb,
        unreadable_subjects = $8, unlinkable_rows = $9,
        loaded_at = now(), finished_at = now(), heartbeat_at = now()
      where id = $1 and status = 'loading' returning id`,
    [snapshotId, counts.rows, counts.subjects, counts.rejectedCount, JSON.stringify(counts.rejected),
      JSON.stringify(counts.ignoredColumns), JSON.stringify(counts.rejectedByCode), counts.unreadableSubjects,
      counts.unlinkableRows])
    // Another process took this load for dead (no heartbeat for minutes): it is not made active.
    if (updated.length === 0) {
      throw new ShifouError('CONFLICT', 'This load was marked abandoned while it ran; load the file again')
    }
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
        unreadableSubjects: counts.unreadableSubjects,
        unlinkableRows: counts.unlinkableRows,
        previous
      }
    }])
  })
}

/** How long a failed load keeps trying to record its failure before leaving it to the background. */
const FAIL_RECORD_MS = 5000
const FAIL_RETRY_MS = 250
/** For this long a failure not yet recorded is retried in the background; then the stale-load rule takes over. */
const PENDING_GIVE_UP_MS = 10 * 60_000
interface PendingFailure { connectorId: string, until: number, write: () => Promise<void> }
/** Failures of this process's loads not yet recorded (the database was gone), by database and snapshot id. */
const pendingFailures = new Map<Database, Map<number, PendingFailure>>()
let pendingTimer: NodeJS.Timeout | null = null

/**
 * Records a failed attempt: its record (status, error, counts, end), its rejected rows so far, its
 * audit entry, and drops its half-written table. When the database itself failed, it retries for a
 * few seconds (a restart is usually back by then), then keeps retrying in the background, and the
 * next load of the connector in this process records it first: the attempt never stays `loading`
 * to block the connector's next load. Returns whether the failure was recorded.
 */
async function fail (opts: LoadOptions, snapshotId: number, code: string, partitionCreated: boolean, counts: Counts,
  report: RejectWriter): Promise<boolean> {
  const { database, connector } = opts
  const write = async (): Promise<void> => {
    await report.flush().catch(() => {})
    if (partitionCreated) await dropPartition(database.maintenance, snapshotId, false)
    await database.transaction(async (tx) => {
      const updated = await tx.query(`update snapshots set status = 'failed', error = $2, rows = $3,
          rejected_count = $4, rejected = $5::jsonb, rejected_by_code = $6::jsonb, unlinkable_rows = $7,
          ignored_columns = $8::jsonb, finished_at = now(), heartbeat_at = now()
        where id = $1 and status = 'loading' returning id`,
      [snapshotId, code, counts.rows, counts.rejectedCount, JSON.stringify(counts.rejected),
        JSON.stringify(counts.rejectedByCode), counts.unlinkableRows, JSON.stringify(counts.ignoredColumns)])
      if (updated.length === 0) return
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
  const deadline = Date.now() + FAIL_RECORD_MS
  for (;;) {
    try {
      await write()
      return true
    } catch (err) {
      if (!isUnavailable(err) || Date.now() + FAIL_RETRY_MS > deadline) break
      await new Promise((resolve) => setTimeout(resolve, FAIL_RETRY_MS))
    }
  }
  const pending = pendingFailures.get(database) ?? new Map<number, PendingFailure>()
  pendingFailures.set(database, pending)
  pending.set(snapshotId, { connectorId: connector.id, until: Date.now() + PENDING_GIVE_UP_MS, write })
  pendingTimer ??= setInterval(() => {
    for (const db of pendingFailures.keys()) recordPendingFailures(db, null).catch(() => {})
  }, 2000).unref()
  return false
}

/**
 * Records the failures still pending in a database (of one connector, or all). Throws while the
 * database is unavailable; a failure that cannot be recorded for another reason, or for too long,
 * is given up (the stale-load rule of `startSnapshot` ends it).
 */
async function recordPendingFailures (database: Database, connectorId: string | null): Promise<void> {
  const pending = pendingFailures.get(database)
  if (pending === undefined) return
  try {
    for (const [id, p] of pending) {
      if (connectorId !== null && p.connectorId !== connectorId) continue
      try {
        await p.write()
      } catch (err) {
        if (isUnavailable(err) && Date.now() < p.until) throw err
      }
      pending.delete(id)
    }
  } finally {
    if (pending.size === 0) pendingFailures.delete(database)
    if (pendingFailures.size === 0 && pendingTimer !== null) { clearInterval(pendingTimer); pendingTimer = null }
  }
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
