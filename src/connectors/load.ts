/**
 * Loading a snapshot (design §5, PUT /v1/connectors/:id/snapshot; §14.1, §14.2): one loader for
 * every kind of connector, in three stages —
 *
 *   source (src/connectors/source.ts)   the rows, from an upload or a department's database
 *   convert (load-convert.ts)           declared columns found, subjects normalised and keyed-hashed,
 *                                       COPY into the snapshot's own table, rejects reported
 *   activate (load-activate.ts)         indexed, then made active in one short transaction with
 *                                       its audit entry
 *
 * Until activation the previous snapshot answers; a failed or interrupted load leaves it untouched.
 * Every attempt keeps its record (times, actor, counts) and its rejected rows (the reject report),
 * whether it completes or fails (load-failure.ts).
 */
import type { Readable } from 'node:stream'
import type { Database } from '../db/client.ts'
import type { ConnectorRow } from '../db/schema/index.ts'
import type { ConnectorKeys, Keyring } from '../keys/keyring.ts'
import { currentKey } from './keys.ts'
import { ID_NORM_VERSION, todayCst } from '../matchers/cn-resident-id.ts'
import { NAME_NORM_VERSION } from '../matchers/cn-name.ts'
import { isCalendarDate } from '../instant.ts'
import { ShifouError } from '../errors.ts'
import type { Principal } from '../principal.ts'
import { isUnavailable } from '../db/unavailable.ts'
import { EncodingError, MalformedInput, type SnapshotFormat, type TextEncoding } from './rows.ts'
import { dropPartition } from './records.ts'
import { pruneReports, RejectWriter } from './rejects.ts'
import { getSnapshot, type SnapshotView } from './snapshots.ts'
import { byteSource, type SnapshotSource, type SourceDescription } from './source.ts'
import { convertRows, noCounts, type Counts, type LoadContext } from './load-convert.ts'
import { activate, dropSuperseded } from './load-activate.ts'
import { endIfUnchanged } from './load-unchanged.ts'
import { DatabaseFailure, db, recordFailure, recordPendingFailures, unavailable } from './load-failure.ts'

export { MAX_REJECTED_LISTED } from './load-convert.ts'

/** A load that has not reported progress for this long is taken to have died with its process. */
const STALE_LOAD_SECONDS = 120
const HEARTBEAT_MS = 2000

/** The report of a completed load: the snapshot as GET /v1/connectors/:id/snapshots shows it. */
export type LoadResult = Omit<SnapshotView, 'status' | 'error'> & {
  status: 'active'
  /** a sync whose rows were the active snapshot's: this is that snapshot, and nothing changed */
  unchanged?: true
}

interface LoadBase {
  database: Database
  /** the keys of the connector being loaded (a department agent has only its connector's) */
  keyring: Pick<Keyring, 'currentVersion' | 'connector'>
  actor: Principal
  connector: ConnectorRow
  asOf: string
  onProgress?: (rows: number, rejected: number) => void
  /** Called once the snapshot is active (to refresh the in-memory registry). */
  onActivated?: () => void
  /** Worker threads that convert rows (src/connectors/convert-workers.ts); count 0 converts in this thread. */
  workers?: { count: number, afterRows: number }
  /**
   * A sync's digest of the rows its source read, known once they are read to the end: when it
   * equals the active snapshot's, the attempt ends `unchanged` and nothing changes (load-unchanged.ts).
   */
  digest?: () => Buffer
}

/** An uploaded file: shorthand for `source: byteSource(format, input, encoding)`. */
interface FileInput {
  format: SnapshotFormat
  /** the upload's text encoding (the charset of its Content-Type); default UTF-8 */
  encoding?: TextEncoding
  input: Readable
  source?: undefined
}

export type LoadOptions = LoadBase & (FileInput | { source: SnapshotSource })

/** Checks `asOf`: a calendar date (YYYY-MM-DD), not after today in China Standard Time. */
export function checkAsOf (asOf: string, now = new Date()): void {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(asOf)
  // A date that does not exist (2026-02-30, year 0000) is refused, not read as another day.
  if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new ShifouError('INVALID_QUERY', 'asOf must be a date YYYY-MM-DD in years 0001-9999')
  }
  if (asOf.replaceAll('-', '') > todayCst(now)) throw new ShifouError('INVALID_QUERY', 'asOf may not be in the future')
}

/** The source of a load's options. */
export function sourceOf (opts: LoadOptions): SnapshotSource {
  return opts.source ?? byteSource(opts.format, opts.input, opts.encoding ?? 'utf-8')
}

/** Starts an attempt: its record, status `loading` (one at a time per connector). */
async function startSnapshot (opts: LoadOptions, keyVersion: number): Promise<number> {
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
      [connector.id, opts.asOf, keyVersion, norm, opts.actor.sub])
    await pruneReports(database, connector.id)
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
  const source = sourceOf(opts)
  let keys: ConnectorKeys
  let snapshotId: number
  try {
    keys = keyring.connector(connector.id, await currentKey(database, keyring, connector))
    snapshotId = await startSnapshot(opts, keys.keyVersion)
  } catch (err) {
    throw isUnavailable(err) && !(err instanceof ShifouError) ? unavailable() : err
  }
  const ctx: LoadContext = {
    database,
    connector,
    actor: opts.actor,
    asOf: opts.asOf,
    snapshotId,
    keyVersion: keys.keyVersion,
    source: recorded(source.describe()),
    noun: source.describe().noun
  }
  const counts: Counts = noCounts()
  const report = new RejectWriter(database, snapshotId)
  let partitionCreated = false
  const heartbeat = setInterval(() => {
    database.query('update snapshots set heartbeat_at = now() where id = $1', [snapshotId]).catch(() => {})
  }, HEARTBEAT_MS)
  heartbeat.unref()

  try {
    const rows = await source.open()
    await convertRows(ctx, rows, {
      keys,
      today: todayCst(),
      report,
      counts,
      onPartition: () => { partitionCreated = true },
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
      ...(opts.workers === undefined ? {} : { workers: opts.workers })
    })
    if (opts.digest !== undefined) {
      const same = await db(endIfUnchanged(ctx, opts.digest(), counts))
      if (same !== null) {
        clearInterval(heartbeat)
        const active = await getSnapshot(database, same)
        return { ...active!, status: 'active', unchanged: true }
      }
    }
    const total = counts.rows + counts.rejectedCount
    if (total === 0) throw new ShifouError('EMPTY_SNAPSHOT', `${capital(source.describe().noun)} has no data rows`)
    if (counts.rows === 0 || counts.rejectedCount / total > connector.maxRejectRatio) {
      throw new ShifouError('REJECT_RATIO_EXCEEDED', `${counts.rejectedCount} of ${total} rows were rejected, ` +
        `above the connector's limit of ${connector.maxRejectRatio}; ` +
        `every rejected row and why is in the reject report of snapshot ${snapshotId}`,
      { rejectedCount: counts.rejectedCount, rejectedByCode: counts.rejectedByCode, rejected: counts.rejected })
    }
    await activate(ctx, counts)
    clearInterval(heartbeat)
    opts.onActivated?.()
    await dropSuperseded(database, connector.id).catch(() => {})
    const view = await getSnapshot(database, snapshotId)
    return { ...view!, status: 'active' }
  } catch (failure) {
    clearInterval(heartbeat)
    const err = asLoadError(failure, source.describe())
    const code = err instanceof ShifouError ? err.code : 'LOAD_FAILED'
    // Recorded now, or (the database gone) in the background and before the connector's next load.
    await recordFailure(ctx, code, partitionCreated, counts, report)
    throw err instanceof ShifouError ? withSnapshot(err, snapshotId) : err
  }
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** The description as the load's audit entry keeps it (its wording for errors left out). */
function recorded (d: SourceDescription): SourceDescription {
  return Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'noun')) as SourceDescription
}

/** The error a failed load answers with. */
function asLoadError (failure: unknown, source: SourceDescription): unknown {
  if (failure instanceof EncodingError) return encodingError(failure, source.format === 'ndjson' ? 'ndjson' : 'csv')
  // Bytes that are not well-formed CSV or NDJSON are refused whole, with nothing stored.
  if (failure instanceof MalformedInput) {
    return new ShifouError('INVALID_BODY', `${capital(source.noun)} is malformed: ` + failure.message)
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
