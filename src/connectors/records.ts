/**
 * Where a connector's records live: the `records` table, partitioned by snapshot. A load writes
 * its own table `records_s<id>`, which becomes a partition when the snapshot is activated, and is
 * dropped some time after a newer snapshot replaced it.
 */
import type { Executor } from '../db/client.ts'
import type { StoredRecord } from '../matchers/predicate/index.ts'

export function partitionName (snapshotId: number): string {
  if (!Number.isSafeInteger(snapshotId) || snapshotId < 1) throw new RangeError('bad snapshot id')
  return 'records_s' + snapshotId
}

export async function createPartition (db: Executor, snapshotId: number): Promise<string> {
  const table = partitionName(snapshotId)
  await db.query(`drop table if exists ${table}`)
  await db.query(`create table ${table} (like records)`)
  return table
}

/** Index and constrain a filled partition so that attaching it needs no scan. */
export async function preparePartition (db: Executor, snapshotId: number): Promise<void> {
  const table = partitionName(snapshotId)
  await db.query(`create index ${table}_subject_idx on ${table} (subject_hash)`)
  await db.query(`alter table ${table} add constraint ${table}_snapshot check (snapshot_id = ${snapshotId})`)
  // Planner statistics now, not whenever autovacuum gets to a table that was just filled.
  await db.query(`analyze ${table}`)
}

export async function attachPartition (tx: Executor, snapshotId: number): Promise<void> {
  await tx.query(`alter table records attach partition ${partitionName(snapshotId)} for values in (${snapshotId})`)
}

export async function dropPartition (db: Executor, snapshotId: number, attached: boolean): Promise<void> {
  const table = partitionName(snapshotId)
  if (attached) await db.query(`alter table records detach partition ${table}`)
  await db.query(`drop table if exists ${table}`)
}

/** The records of one subject in one snapshot (the few rows of one person). */
export async function lookupRecords (db: Executor, snapshotId: number, subjectHash: Uint8Array): Promise<StoredRecord[]> {
  const rows = await db.query<{ attrs: StoredRecord }>(
    'select attrs from records where snapshot_id = $1 and subject_hash = $2', [snapshotId, subjectHash])
  return rows.map((r) => r.attrs)
}
