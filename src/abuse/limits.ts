/**
 * Per-client limits (design §10, issue "abuse resistance"), checked before any lookup in one
 * statement for the requests of one moment (migration 0004, shifou_quota_check_batch): requests per
 * minute, distinct subjects per day, subjects per case id, distinct names tried against one ID a day. Shared by every service
 * process and kept across restarts because the counters live in PostgreSQL. If the limiter cannot
 * be consulted, the request is refused (fail closed).
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
 * Checks the requests of one moment in one statement (shifou_quota_check_batch): under load one
 * round trip per request was most of the limiter's cost. Returns, in order, the limit each request
 * exceeds or null; a request that passes is recorded.
 */
export async function checkQuotas (db: Executor, batch: readonly QuotaInput[]): Promise<Array<Limit | null>> {
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
  let result: Array<{ i: number, code: string | null }>
  try {
    result = await db.query<{ i: number, code: string | null }>('select i, code from shifou_quota_check_batch($1::jsonb)', [JSON.stringify(rows)])
  } catch {
    throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter cannot be consulted; the request is refused')
  }
  if (result.length !== batch.length) throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter did not answer for every request')
  const out = new Array<Limit | null>(batch.length).fill(null)
  for (const r of result) out[Number(r.i)] = (r.code ?? null) as Limit | null
  return out
}
