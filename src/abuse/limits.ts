/**
 * Per-client limits (design §10, issue "abuse resistance"), checked before any lookup in one
 * statement for the requests of one moment (migration 0009, shifou_limit_batch): requests per
 * minute, distinct subjects per day, subjects per case id, distinct names tried against one ID a
 * day. Shared by every service process and kept across restarts because the counters live in
 * PostgreSQL. If the limiter cannot be consulted, the request is refused (fail closed). The same
 * statement reads the records of each request that passed, and observes each fresh one for the
 * detectors, returning the counts they judge.
 */
import type { Executor } from '../db/client.ts'
import type { Quotas } from '../db/schema/index.ts'
import type { StoredRecord } from '../matchers/predicate/index.ts'
import { ShifouError } from '../errors.ts'
import type { ObservedCounts } from './detectors.ts'

/** A subject's hash in one snapshot. */
export interface Probe { snapshotId: number, subjectHash: Uint8Array }

export type Limit = keyof Quotas

export interface QuotaInput {
  client: string
  organisation: string | null
  quotas: Quotas
  /** audit pseudonym of the subject (32 bytes) */
  subject: Buffer
  prefix: Buffer
  caseId: string
  /** keyed tag of the name tried, when the request carries one */
  name: Buffer | null
  now: Date
  /** Records to read once the request has passed (none while checks remain before any is read). */
  lookups: Probe[]
  /** The subject in every other active snapshot: probed to tell the detectors if it is known. */
  probes: Probe[]
}

/** The calendar day in China Standard Time (UTC+8), YYYY-MM-DD: the day quotas count in. */
export function cstDay (now: Date): string {
  return new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10)
}

/** Seconds until a limit of this kind lets the client ask again (the Retry-After header). */
export function retryAfter (limit: Limit, now: Date): number {
  if (limit === 'requestsPerMinute') return 60 - now.getUTCSeconds()
  // Daily limits reset at midnight China Standard Time; a case's subject limit never resets, so
  // the header says "not today" there too.
  const cst = new Date(now.getTime() + 8 * 3600_000)
  return 86400 - (cst.getUTCHours() * 3600 + cst.getUTCMinutes() * 60 + cst.getUTCSeconds())
}

/**
 * What the limiter decided for one request: the limit it exceeds (null: it may proceed, and it
 * was recorded); for a request that passed, the records of each of its lookups; and whether it
 * recorded something the detectors have not seen: a subject new to the client today or a name not
 * tried against it today. Only such a request can change what the detectors count, so only such a
 * request is observed (migration 0008), and `counts` are what they judge (null otherwise).
 */
export interface QuotaDecision {
  limit: Limit | null
  fresh: boolean
  records: StoredRecord[][]
  counts: ObservedCounts | null
}

interface DecisionRow {
  i: number
  code: string | null
  fresh: boolean | null
  records: Array<{ l: number, a: StoredRecord }> | null
  subjects: number | null
  unknown: number | null
  org_subjects: number | null
  org_unknown: number | null
  prefix_subjects: number | null
  prefix_unknown: number | null
  names: number | null
}

const hex = (p: Probe): { s: number, h: string } => ({ s: p.snapshotId, h: Buffer.from(p.subjectHash).toString('hex') })

/**
 * Checks the requests of one moment in one statement (shifou_limit_batch): under load one
 * round trip per request was most of the limiter's cost. Returns the decisions in order.
 */
export async function checkQuotas (db: Executor, batch: readonly QuotaInput[]): Promise<QuotaDecision[]> {
  const rows = batch.map((q) => ({
    client: q.client,
    org: q.organisation,
    now: q.now.toISOString(),
    day: cstDay(q.now),
    subject: q.subject.toString('hex'),
    prefix: q.prefix.toString('hex'),
    case: q.caseId,
    name: q.name === null ? null : q.name.toString('hex'),
    rpm: q.quotas.requestsPerMinute,
    spd: q.quotas.subjectsPerDay,
    spc: q.quotas.subjectsPerCase,
    npd: q.quotas.namesPerSubjectPerDay,
    lookups: q.lookups.map(hex),
    probes: q.probes.map(hex)
  }))
  let result: DecisionRow[]
  try {
    result = await db.query<DecisionRow>('select * from shifou_limit_batch($1::jsonb)', [JSON.stringify(rows)])
  } catch {
    throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter cannot be consulted; the request is refused')
  }
  if (result.length !== batch.length) {
    throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter did not answer for every request')
  }
  const out = new Array<QuotaDecision>(batch.length)
  for (const r of result) {
    const k = Number(r.i)
    const records: StoredRecord[][] = batch[k]!.lookups.map(() => [])
    for (const found of r.records ?? []) records[found.l]!.push(found.a)
    const fresh = r.fresh === true
    out[k] = {
      limit: (r.code ?? null) as Limit | null,
      fresh,
      records,
      counts: r.code !== null || !fresh
        ? null
        : {
            subjects: Number(r.subjects ?? 0),
            unknown: Number(r.unknown ?? 0),
            orgSubjects: r.org_subjects === null ? null : Number(r.org_subjects),
            orgUnknown: r.org_unknown === null ? null : Number(r.org_unknown),
            prefixSubjects: Number(r.prefix_subjects ?? 0),
            prefixUnknown: Number(r.prefix_unknown ?? 0),
            names: Number(r.names ?? 0)
          }
    }
  }
  return out
}
