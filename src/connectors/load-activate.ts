/**
 * The loader's last stage (source → convert → **activate**): the filled table is indexed and
 * counted, then in one short transaction attached as a partition of `records`, made the
 * connector's active snapshot, and recorded with its audit entry. Until that commits the previous
 * snapshot answers; superseded snapshots' tables are dropped after a grace period.
 */
import type { Database } from '../db/client.ts'
import { writeEntries } from '../audit/writer.ts'
import { ShifouError } from '../errors.ts'
import { actorOf } from '../principal.ts'
import { ID_NORM_VERSION } from '../matchers/cn-resident-id.ts'
import { attachPartition, dropPartition, preparePartition } from './records.ts'
import { db } from './load-failure.ts'
import type { Counts, LoadContext } from './load-convert.ts'

/** Superseded snapshots keep answering in-flight requests of other processes for a while. */
const SUPERSEDED_GRACE_SECONDS = 600

/** Indexes and counts the snapshot's table, then makes it the active snapshot with its entry. */
export async function activate (ctx: LoadContext, counts: Counts): Promise<void> {
  const { database, connector, snapshotId } = ctx
  // Every rejected row whose subject could be read wrote a marker.
  const markers = counts.rejectedCount > counts.unlinkableRows
  const prepared = await db(preparePartition(database.maintenance, snapshotId, markers))
  counts.subjects = prepared.subjects
  counts.unreadableSubjects = prepared.unreadable
  await db(database.transaction(async (tx) => {
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
      actor: actorOf(ctx.actor),
      snapshot: snapshotId,
      asOf: ctx.asOf,
      keyVersion: ctx.keyVersion,
      norm: ID_NORM_VERSION,
      code: 'ACTIVE',
      detail: {
        connector: connector.id,
        source: ctx.source,
        rows: counts.rows,
        subjects: counts.subjects,
        rejected: counts.rejectedCount,
        unreadableSubjects: counts.unreadableSubjects,
        unlinkableRows: counts.unlinkableRows,
        previous
      }
    }])
  }))
}

/** Drops the records of snapshots replaced more than the grace period ago. */
export async function dropSuperseded (database: Database, connectorId: string): Promise<void> {
  const old = await database.query<{ id: number }>(`select id from snapshots
    where connector_id = $1 and status = 'superseded' and dropped = 0
      and superseded_at < now() - make_interval(secs => $2)`,
  [connectorId, SUPERSEDED_GRACE_SECONDS])
  for (const { id } of old) {
    await dropPartition(database.maintenance, Number(id), true)
    await database.query('update snapshots set dropped = 1 where id = $1', [id])
  }
}
