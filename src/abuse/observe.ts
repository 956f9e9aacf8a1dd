/**
 * The detectors' observation of fresh requests (design §10): once a fresh request's records were
 * read (or it was refused before any was), whether its subject is known to any connector (the
 * connectors tell) is recorded with its row of the day, misses are counted, and the counts the
 * detectors judge are returned (shifou_observe, migration 0008). Off the answer's path: the
 * answer does not wait.
 */
import type { Executor } from '../db/client.ts'
import { ShifouError } from '../errors.ts'
import type { ObservedCounts } from './detectors.ts'
import { cstDay } from './limits.ts'

export interface Observation {
  client: string
  organisation: string | null
  subject: Buffer
  prefix: Buffer
  now: Date
  /** whether any connector holds rows about the subject (a marker counts) */
  known: boolean
}

interface CountsRow {
  i: number
  subjects: number | null
  unknown: number | null
  org_subjects: number | null
  org_unknown: number | null
  prefix_subjects: number | null
  prefix_unknown: number | null
  names: number | null
}

/** Observes fresh requests in one statement; returns the counts of each, in order. */
export async function observeFresh (db: Executor, batch: readonly Observation[]): Promise<ObservedCounts[]> {
  const rows = batch.map((o, i) => ({
    i,
    client: o.client,
    org: o.organisation,
    day: cstDay(o.now),
    subject: o.subject.toString('hex'),
    prefix: o.prefix.toString('hex'),
    known: o.known
  }))
  // One observation after another, in the order given (a lateral call per row).
  const result = await db.query<CountsRow>(
    `select u.i, o.* from jsonb_to_recordset($1::jsonb) as u(i integer, client text, org text, day date,
        subject text, prefix text, known boolean)
      cross join lateral shifou_observe(u.client, u.org, u.day, decode(u.subject, 'hex'), decode(u.prefix, 'hex'),
        u.known, '{}', '{}') as o
      order by u.i`, [JSON.stringify(rows)])
  if (result.length !== batch.length) throw new ShifouError('QUOTA_UNAVAILABLE', 'An observation was lost')
  const out = new Array<ObservedCounts>(batch.length)
  for (const r of result) {
    out[Number(r.i)] = {
      subjects: Number(r.subjects ?? 0),
      unknown: Number(r.unknown ?? 0),
      orgSubjects: r.org_subjects === null ? null : Number(r.org_subjects),
      orgUnknown: r.org_unknown === null ? null : Number(r.org_unknown),
      prefixSubjects: Number(r.prefix_subjects ?? 0),
      prefixUnknown: Number(r.prefix_unknown ?? 0),
      names: Number(r.names ?? 0)
    }
  }
  return out
}
