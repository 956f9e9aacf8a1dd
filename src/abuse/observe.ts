/**
 * The detectors' observation of fresh requests (design §10): once a fresh request's records were
 * read (or it was refused before any was), whether its subject is known to any connector (the
 * connectors tell) is recorded with its row of the day, misses are counted, and the counts the
 * detectors judge are returned: for the fresh requests of one moment in one call
 * (shifou_observe_fresh, migration 0072), with the counts after the whole batch. Off the answer's
 * path: the answer does not wait.
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

/** Observes fresh requests in one statement; returns the counts of each, in order (migration 0072). */
export async function observeFresh (db: Executor, batch: readonly Observation[]): Promise<ObservedCounts[]> {
  const rows = batch.map((o) => ({
    client: o.client,
    org: o.organisation,
    day: cstDay(o.now),
    subject: o.subject.toString('hex'),
    prefix: o.prefix.toString('hex'),
    known: o.known
  }))
  const result = await db.query<CountsRow>('select * from shifou_observe_fresh($1::jsonb)', [JSON.stringify(rows)])
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
