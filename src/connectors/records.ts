/**
 * Where a connector's records live: the `records` table, partitioned by snapshot. A load writes
 * its own table `records_s<id>`, which becomes a partition when the snapshot is activated, and is
 * dropped some time after a newer snapshot replaced it.
 *
 * A row whose `attrs` is JSON `null` is not a record: it marks its subject *unreadable* in that
 * snapshot (a row about them was rejected; design §14.1). It sits under the subject's hash with
 * their records, so the one index probe that reads a subject's records also finds the marker, and
 * every reader (`readRecords`) returns `SubjectRecords`, never the marker as a record: a predicate must not be
 * evaluated over a subject with one (src/verifications refuses with SUBJECT_DATA_UNREADABLE).
 */
import type { Executor } from '../db/client.ts'
import type { StoredRecord } from '../matchers/predicate/index.ts'
import { StatementBatcher } from '../db/batch.ts'
import { DEFAULT_MAX_RECORDS_PER_SUBJECT } from '../registry/definitions.ts'

export function partitionName (snapshotId: number): string {
  if (!Number.isSafeInteger(snapshotId) || snapshotId < 1) throw new RangeError('bad snapshot id')
  return 'records_s' + snapshotId
}

/**
 * The snapshot's own table, constrained to its snapshot from the start: COPY checks each row as it
 * arrives, and attaching the table later needs no scan to prove the constraint.
 *
 * Its statistics say that subjects are distinct (n_distinct -1, taken by the ANALYZE of
 * `preparePartition`), whatever the file holds: a lookup is planned for the values it will be
 * given, one subject, not for the average. Sampled statistics of a file of identical rows (one
 * subject, 300,000 rows) planned every lookup of that snapshot as a sequential scan of all its
 * rows (50 ms each, measured) instead of an index probe (0.1 ms).
 *
 * No plan turns on `attrs` (lookups find rows by subject; the load's own counts read the whole
 * table or one subject's rows), so ANALYZE gathers no statistics of it: on 1M rows they were
 * about half of ANALYZE's time (335 → 170 ms, measured in psql).
 */
export async function createPartition (db: Executor, snapshotId: number): Promise<string> {
  const table = partitionName(snapshotId)
  await db.query(`drop table if exists ${table}`)
  await db.query(`create table ${table} (like records)`)
  await db.query(`alter table ${table} add constraint ${table}_snapshot check (snapshot_id = ${snapshotId})`)
  await db.query(`alter table ${table} alter column subject_hash set (n_distinct = -1)`)
  await db.query(`alter table ${table} alter column attrs set statistics 0`)
  return table
}

/**
 * Index a filled partition and count its distinct subjects. The count reads the table while the
 * index is built (on a pool, a second connection and the second core): together they took 0.8 s
 * of a 1M-row load one after the other. Planner statistics are gathered once the index is there,
 * not whenever autovacuum gets to a table that was just filled.
 *
 * With unreadable markers (`markers`: the load wrote some), the same scan counts the subjects
 * marked, and once the index is there the subjects that have nothing but a marker are taken off
 * the subjects with a record. A clean load pays for none of it: grouping the subjects with a
 * test of every row's attrs cost about 1 s more per million rows than the plain distinct count.
 */
export async function preparePartition (db: Executor, snapshotId: number, markers = false):
Promise<{ subjects: number, unreadable: number }> {
  const table = partitionName(snapshotId)
  const [, [count]] = await Promise.all([
    (async () => {
      await db.query(`create index ${table}_subject_idx on ${table} (subject_hash)`)
      await db.query(`analyze ${table}`)
    })(),
    db.query<{ n: number, u: number }>(markers
      ? `select count(distinct subject_hash)::int as n,
          count(distinct subject_hash) filter (where attrs = 'null'::jsonb)::int as u from ${table}`
      : `select count(distinct subject_hash)::int as n, 0 as u from ${table}`)
  ])
  const unreadable = Number(count!.u)
  if (unreadable === 0) return { subjects: Number(count!.n), unreadable }
  const [only] = await db.query<{ n: number }>(`select count(*)::int as n
    from (select distinct subject_hash from ${table} where attrs = 'null'::jsonb) m
    where not exists (select 1 from ${table} r where r.subject_hash = m.subject_hash and r.attrs <> 'null'::jsonb)`)
  return { subjects: Number(count!.n) - Number(only!.n), unreadable }
}

export async function attachPartition (tx: Executor, snapshotId: number): Promise<void> {
  await tx.query(`alter table records attach partition ${partitionName(snapshotId)} for values in (${snapshotId})`)
}

export async function dropPartition (db: Executor, snapshotId: number, attached: boolean): Promise<void> {
  const table = partitionName(snapshotId)
  if (attached) await db.query(`alter table records detach partition ${table}`)
  await db.query(`drop table if exists ${table}`)
}

export interface Lookup {
  snapshotId: number
  subjectHash: Uint8Array
  /**
   * rows of the subject to read at most: its connector's `maxRecordsPerSubject` (default 1,000,
   * design §14.1 "Bounded lookups"). Past it the subject is refused as unreadable, never answered
   * from part of their rows. A load already rejects the rows beyond the connector's bound
   * (record-cap.ts); this holds for a snapshot loaded under a higher bound than today's.
   */
  max?: number
}

/**
 * One subject's records in one snapshot, and whether the snapshot marks the subject unreadable
 * (then `records` are not all there is, and no answer may be given from them).
 */
export interface SubjectRecords {
  records: StoredRecord[]
  unreadable: boolean
  /** the snapshot the records come from, when it is not the hub's (an agent's own snapshot) */
  from?: { snapshot: number, asOf: string }
}

/** Sorts the rows read for one subject: records, and the unreadable marker (attrs JSON null). */
export function collectRecords (into: SubjectRecords, attrs: StoredRecord | null): void {
  if (attrs === null) into.unreadable = true
  else into.records.push(attrs)
}

export const noRecords = (): SubjectRecords => ({ records: [], unreadable: false })

/**
 * The first question asked whose connector marks the subject unreadable, or null: then the whole
 * request is refused (409 SUBJECT_DATA_UNREADABLE), never answered in part.
 */
export function unreadableQuestion (records: ReadonlyMap<string, SubjectRecords>,
  asked: ReadonlyArray<{ id: string, connectorId: string }>): string | null {
  for (const q of asked) if (records.get(q.connectorId)?.unreadable === true) return q.id
  return null
}

/**
 * The lookups of one snapshot: $1 the subjects as JSON `[{i, h, n}]` (h: the keyed hash in hex, n:
 * how many rows of the subject to read at most). Returns rows `{i, attrs}`.
 */
export function lookupStatement (snapshotId: number): string {
  return `select u.i, r.attrs from jsonb_to_recordset($1::jsonb) as u(i integer, h text, n integer)
    cross join lateral (
      select attrs from ${partitionName(snapshotId)} where subject_hash = decode(u.h, 'hex') limit u.n
    ) r`
}

/**
 * The records of several subjects, each in the one snapshot its lookup names. Each snapshot's
 * lookups are one statement on that snapshot's own table (records_s<id>), never on the partitioned
 * `records`: a lookup reads no other snapshot's rows whatever the planner makes of the others, and
 * one index probe per subject (a lateral join) reads at most its `max` + 1 rows.
 * A snapshot whose table was dropped (replaced, then cleaned up) fails the lookup: never an
 * answer from no rows. Returns each lookup's records in the order of the lookups.
 */
export async function readRecords (db: Executor, lookups: readonly Lookup[]): Promise<SubjectRecords[]> {
  const bySnapshot = new Map<number, Array<{ i: number, h: string, n: number }>>()
  const max = lookups.map((l) => l.max ?? DEFAULT_MAX_RECORDS_PER_SUBJECT)
  lookups.forEach((l, i) => {
    let of = bySnapshot.get(l.snapshotId)
    if (of === undefined) bySnapshot.set(l.snapshotId, of = [])
    of.push({ i, h: Buffer.from(l.subjectHash).toString('hex'), n: max[i]! + 1 })
  })
  const out = lookups.map(noRecords)
  const counts = new Array<number>(lookups.length).fill(0)
  await Promise.all([...bySnapshot].map(async ([snapshotId, of]) => {
    const rows = await db.query<{ i: number, attrs: StoredRecord | null }>(lookupStatement(snapshotId),
      [JSON.stringify(of)])
    for (const r of rows) {
      const i = Number(r.i)
      collectRecords(out[i]!, r.attrs)
      counts[i]!++
    }
  }))
  // Past the bound, what was read may not be all there is: the subject is refused as unreadable.
  counts.forEach((n, i) => { if (n > max[i]!) out[i] = { records: [], unreadable: true } })
  return out
}

/** The lookups of concurrent requests, one statement per snapshot per batch (src/db/batch.ts). */
export class RecordLookups {
  readonly #batcher: StatementBatcher<Lookup, SubjectRecords>

  constructor (db: Executor) {
    this.#batcher = new StatementBatcher(async (lookups) => await readRecords(db, lookups))
  }

  /** The records of one subject in one snapshot (the few rows of one person), at most `max` of them. */
  async lookup (snapshotId: number, subjectHash: Uint8Array, max?: number): Promise<SubjectRecords> {
    const lookup: Lookup = max === undefined ? { snapshotId, subjectHash } : { snapshotId, subjectHash, max }
    return await this.#batcher.submit(lookup)
  }
}
