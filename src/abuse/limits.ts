/**
 * Per-client limits (design §10, issue "abuse resistance"), checked before any lookup in one
 * statement (migration 0004, shifou_quota_check): requests per minute, distinct subjects per day,
 * subjects per case id, distinct names tried against one ID per day. Shared by every service
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

/** Returns the limit the request exceeds, or null; records the request's use when it passes. */
export async function checkQuota (db: Executor, q: QuotaInput): Promise<Limit | null> {
  let rows: Array<{ code: string | null }>
  try {
    rows = await db.query<{ code: string | null }>('select shifou_quota_check($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) as code', [
      q.client, q.organisation, q.now.toISOString(), cstDay(q.now), q.subject, q.prefix, q.caseId, q.name,
      q.quotas.requestsPerMinute, q.quotas.subjectsPerDay, q.quotas.subjectsPerCase, q.quotas.namesPerSubjectPerDay
    ])
  } catch {
    throw new ShifouError('QUOTA_UNAVAILABLE', 'The limiter cannot be consulted; the request is refused')
  }
  return (rows[0]?.code ?? null) as Limit | null
}
