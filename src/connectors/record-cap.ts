/**
 * At most `maxRecordsPerSubject` rows of one subject in a snapshot (design §14.1, "Bounded
 * lookups"): the rows of a subject beyond that, in the order of the file, are rejected
 * TOO_MANY_RECORDS, and the subject is marked unreadable, like any subject behind a rejected row.
 *
 * The loader cannot keep a count per subject (memory would grow with the file), so it counts the
 * rows of each of 2²⁰ buckets of the subjects' keyed hashes: a bucket's count is at least the
 * count of every subject in it. While a row's bucket is at or below the bound, that row is within
 * the first `max` rows of its subject; the rows counted past it ("hot" rows) are remembered with
 * their line and the first 8 bytes of their subject's hash. A clean file has no hot row, and
 * capping then costs nothing. Otherwise, once the rows are in the snapshot's table, the database
 * counts the subjects of the hot buckets exactly; every row of a subject beyond its `max` is a hot
 * row (the ones before were counted while the bucket was not yet past the bound), so the last
 * `n − max` hot rows of that subject are its rows beyond.
 */
import type { Executor } from '../db/client.ts'
import { UNREADABLE_ATTRS, type Rejected, type Tally } from './convert.ts'
import { partitionName } from './records.ts'

const BUCKET_BITS = 20
const BUCKET_MASK = (1 << BUCKET_BITS) - 1
/** Hot rows remembered at most; past that the counts stay exact but the report lists none of them. */
export const MAX_HOT_ROWS = 1_000_000

export interface Capped {
  /** subjects that had more rows than the bound (now unreadable) */
  subjects: number
  /** rows rejected TOO_MANY_RECORDS (taken out of the snapshot) */
  rows: number
  /** the rejected rows, for the report (empty when too many were hot to be remembered) */
  rejected: Rejected[]
}

export class RecordCap {
  readonly max: number
  readonly #field: string
  readonly #counts = new Uint16Array(1 << BUCKET_BITS)
  /** line, hash bytes 0–3, hash bytes 4–7 of every hot row, in the order of the file */
  readonly #hot: number[] = []
  #overflow = false

  /** `max` is at most 65,534 (the buckets' counters stop at 65,535, which stays past the bound). */
  constructor (max: number, subjectField: string) {
    this.max = max
    this.#field = subjectField
  }

  add (t: Tally): void {
    for (let k = 0; k < t.length; k += 3) {
      const b = t[k + 1]! & BUCKET_MASK
      const n = this.#counts[b]!
      if (n < 65535) this.#counts[b] = n + 1
      if (n < this.max) continue
      if (this.#hot.length < 3 * MAX_HOT_ROWS) this.#hot.push(t[k]!, t[k + 1]!, t[k + 2]!)
      else this.#overflow = true
    }
  }

  /**
   * Takes the rows beyond the bound out of the filled table `records_s<snapshotId>` and marks
   * their subjects unreadable; nothing happens (and nothing is read) when no row was hot.
   */
  async apply (db: Executor, snapshotId: number): Promise<Capped> {
    const none: Capped = { subjects: 0, rows: 0, rejected: [] }
    if (this.#hot.length === 0 && !this.#overflow) return none
    const table = partitionName(snapshotId)
    const prefixes = new Map<string, string>()
    for (let k = 0; k < this.#hot.length; k += 3) {
      const key = this.#hot[k + 1]! + ':' + this.#hot[k + 2]!
      if (!prefixes.has(key)) prefixes.set(key, prefixHex(this.#hot[k + 1]!, this.#hot[k + 2]!))
    }
    const over = await db.query<{ h: Buffer, n: number, v: number }>(`select subject_hash as h, count(*)::int as n,
        min(key_version)::int as v from ${table}
      where attrs <> '${UNREADABLE_ATTRS}'::jsonb
        ${this.#overflow ? '' : 'and encode(substring(subject_hash from 1 for 8), \'hex\') = any($2::text[])'}
      group by subject_hash having count(*) > $1`,
    this.#overflow ? [this.max] : [this.max, [...prefixes.values()]])
    if (over.length === 0) return none
    const out: Capped = { subjects: over.length, rows: 0, rejected: [] }
    const bySubject = new Map<string, { beyond: number, lines: number[] }>()
    for (const s of over) {
      const beyond = Number(s.n) - this.max
      // A fresh table filled by one COPY holds its rows in the order they were sent, which is the
      // file's: the rows after the first `max` by ctid are the rows beyond.
      await db.query(`delete from ${table} where ctid = any(array(select ctid from ${table}
        where subject_hash = $1 and attrs <> '${UNREADABLE_ATTRS}'::jsonb order by ctid offset $2))`, [s.h, this.max])
      await db.query(`insert into ${table} (snapshot_id, subject_hash, key_version, attrs)
        select $1, $2, $3, '${UNREADABLE_ATTRS}'::jsonb
        where not exists (select 1 from ${table} where subject_hash = $2 and attrs = '${UNREADABLE_ATTRS}'::jsonb)`,
      [snapshotId, s.h, s.v])
      out.rows += beyond
      const h = Buffer.from(s.h)
      bySubject.set(h.readInt32BE(0) + ':' + h.readInt32BE(4), { beyond, lines: [] })
    }
    if (this.#overflow) return out
    // The hot lines of each subject past the bound; its rows beyond are the last `n − max` of them.
    for (let k = 0; k < this.#hot.length; k += 3) {
      bySubject.get(this.#hot[k + 1]! + ':' + this.#hot[k + 2]!)?.lines.push(this.#hot[k]!)
    }
    const reason = `more than ${this.max} rows of one person (the connector's maxRecordsPerSubject); ` +
      'questions about this person are refused until the file holds each of their records once'
    for (const { beyond, lines } of bySubject.values()) {
      for (const line of lines.slice(-beyond)) out.rejected.push([line, this.#field, 'TOO_MANY_RECORDS', reason])
    }
    out.rejected.sort((a, b) => a[0] - b[0])
    return out
  }
}

function prefixHex (a: number, b: number): string {
  const buf = Buffer.alloc(8)
  buf.writeInt32BE(a, 0)
  buf.writeInt32BE(b, 4)
  return buf.toString('hex')
}
