/**
 * A load that fails (design §14.1 "Load record"): its record is kept (status, error, counts, end),
 * with its rejected rows so far and its audit entry, and its half-written table is dropped. When
 * the database itself failed, the record is written once it is back: a few seconds of retries,
 * then in the background, and before the connector's next load in this process — an attempt never
 * stays `loading` to block the next load.
 */
import type { Database } from '../db/client.ts'
import { writeEntries } from '../audit/writer.ts'
import { ShifouError } from '../errors.ts'
import { actorOf } from '../principal.ts'
import { isConnectionFailure, isUnavailable } from '../db/unavailable.ts'
import { dropPartition } from './records.ts'
import type { RejectWriter } from './rejects.ts'
import type { Counts, LoadContext } from './load-convert.ts'

/** An error of one of the load's database calls that means the database (not the source) failed. */
export class DatabaseFailure extends Error {
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
export async function db<T> (call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (err) {
    throw isConnectionFailure(err) ? new DatabaseFailure(err) : err
  }
}

export function unavailable (): ShifouError {
  return new ShifouError('DATABASE_UNAVAILABLE', 'The database was unavailable or busy during the load; ' +
    'nothing was changed. ' +
    'Load the file again once the database is back')
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
 * Records a failed attempt: its record, its rejected rows so far, its audit entry, and drops its
 * half-written table. Returns whether the failure was recorded now (else it is pending).
 */
export async function recordFailure (ctx: LoadContext, code: string, partitionCreated: boolean, counts: Counts,
  report: RejectWriter): Promise<boolean> {
  const { database, connector, snapshotId } = ctx
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
        actor: actorOf(ctx.actor),
        snapshot: snapshotId,
        asOf: ctx.asOf,
        keyVersion: ctx.keyVersion,
        code,
        detail: { connector: connector.id, source: ctx.source, rows: counts.rows, rejected: counts.rejectedCount }
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
 * is given up (the stale-load rule of the next load's start ends it).
 */
export async function recordPendingFailures (database: Database, connectorId: string | null): Promise<void> {
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
