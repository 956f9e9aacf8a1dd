/**
 * Where a connector's records live: the `records` table, partitioned by snapshot. A load writes
 * its own table `records_s<id>`, which becomes a partition when the snapshot is activated, and is
 * dropped some time after a newer snapshot replaced it.
 */
import type { Executor } from '../db/client.ts'
import type { StoredRecord } from '../matchers/predicate/index.ts'
import { StatementBatcher } from '../db/batch.ts'

export function partitionName (snapshotId: number): string {
  if (!Number.isSafeInteger(snapshotId) || snapshotId < 1) throw new RangeError('bad snapshot id')
  return 'records_s' + snapshotId
}

/**
 * The snapshot's own table, constrained to its snapshot from the start: COPY checks each row as it
 * arrives, and attaching the table later needs no scan to prove the constraint.
 */
export async function createPartition (db: Executor, snapshotId: number): Promise<string> {
  const table = partitionName(snapshotId)
  await db.query(`drop table if exists ${table}`)
  await db.query(`create table ${table} (like records)`)
  await db.query(`alter table ${table} add constraint ${table}_snapshot check (snapshot_id = ${snapshotId})`)
  return table
}

/**
 * Index a filled partition and count its distinct subjects. The count reads the table while the
 * index is built (on a pool, a second connection and the second core): together they took 0.8 s
 * of a 1M-row load one after the other. Planner statistics are gathered once the index is there,
 * not whenever autovacuum gets to a table that was just filled.
 */
export async function preparePartition (db: Executor, snapshotId: number): Promise<{ subjects: number }> {
  const table = partitionName(snapshotId)
  const [, [count]] = await Promise.all([
    (async () => {
      await db.query(`create index ${table}_subject_idx on ${table} (subject_hash)`)
      await db.query(`analyze ${table}`)
    })(),
    db.query<{ n: number }>(`select count(distinct subject_hash)::int as n from ${table}`)
  ])
  return { subjects: Number(count!.n) }
}

export async function attachPartition (tx: Executor, snapshotId: number): Promise<void> {
  await tx.query(`alter table records attach partition ${partitionName(snapshotId)} for values in (${snapshotId})`)
}

export async function dropPartition (db: Executor, snapshotId: number, attached: boolean): Promise<void> {
  const table = partitionName(snapshotId)
  if (attached) await db.query(`alter table records detach partition ${table}`)
  await db.query(`drop table if exists ${table}`)
}

export interface Lookup { snapshotId: number, subjectHash: Uint8Array }

/**
 * The records of several subjects, each in its snapshot, in one statement: each lookup is an
 * indexed probe of its partition (a lateral join, so that it is never planned as a scan).
 * Returns each lookup's records in the order of the lookups.
 */
export async function lookupRecords (db: Executor, lookups: readonly Lookup[]): Promise<StoredRecord[][]> {
  const input = JSON.stringify(lookups.map((l, i) => ({
    i, s: l.snapshotId, h: Buffer.from(l.subjectHash).toString('hex')
  })))
  const rows = await db.query<{ i: number, attrs: StoredRecord }>(
    `select u.i, r.attrs from jsonb_to_recordset($1::jsonb) as u(i integer, s bigint, h text)
       cross join lateral (
         select attrs from records where snapshot_id = u.s and subject_hash = decode(u.h, 'hex')
       ) r`, [input])
  const out: StoredRecord[][] = lookups.map(() => [])
  for (const r of rows) out[Number(r.i)]!.push(r.attrs)
  return out
}

/** The lookups of concurrent requests, one statement per batch (src/db/batch.ts). */
export class RecordLookups {
  readonly #batcher: StatementBatcher<Lookup, StoredRecord[]>

  constructor (db: Executor) {
    this.#batcher = new StatementBatcher(async (lookups) => await lookupRecords(db, lookups))
  }

  /** The records of one subject in one snapshot (the few rows of one person). */
  async lookup (snapshotId: number, subjectHash: Uint8Array): Promise<StoredRecord[]> {
    return await this.#batcher.submit({ snapshotId, subjectHash })
  }
}
