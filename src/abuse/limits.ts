/**
 * Per-client limits (design §10, issue "abuse resistance"), checked before any record is read, in
 * one statement for the requests of one moment (migration 0020, shifou_admit): requests per
 * minute, distinct subjects per day, subjects per case id, distinct names tried against one ID a
 * day. Shared by every service process and kept across restarts because the counters live in
 * PostgreSQL. If the limiter cannot be consulted, the request is refused (fail closed). The
 * limiter reads no record: the connectors do, once a request has passed (src/connectors/records.ts).
 */
import type { Executor } from '../db/client.ts'
import type { Quotas } from '../db/schema/index.ts'
import { ShifouError } from '../errors.ts'

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
 * was recorded), and whether it recorded something the detectors have not seen: a subject new to
 * the client today or a name not tried against it today. Only such a request can change what the
 * detectors count, so only such a request is observed (migration 0008, src/abuse/observe.ts).
 */
export interface QuotaDecision {
  limit: Limit | null
  fresh: boolean
}

interface DecisionRow { i: number, code: string | null, fresh: boolean | null }

/**
 * Checks the requests of one moment in one statement (shifou_admit): under load one round trip
 * per request was most of the limiter's cost. Returns the decisions in order.
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
    npd: q.quotas.namesPerSubjectPerDay
  }))
  let result: DecisionRow[]
  try {
    result = await db.query<DecisionRow>('select i, code, fresh from shifou_admit($1::jsonb)', [JSON.stringify(rows)])
  } catch {
    throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter cannot be consulted; the request is refused')
  }
  if (result.length !== batch.length) {
    throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter did not answer for every request')
  }
  const out = new Array<QuotaDecision>(batch.length)
  for (const r of result) {
    out[Number(r.i)] = { limit: (r.code ?? null) as Limit | null, fresh: r.code === null && r.fresh === true }
  }
  return out
}
