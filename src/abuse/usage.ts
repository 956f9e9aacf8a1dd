/**
 * A client's usage as its limits count it (design §14.6 `GET /v1/clients/me`): requests in the
 * current minute and distinct subjects today (China Standard Time), read from the limiter's
 * counters. Per-case and per-subject counts are not summed here: they concern one case or person.
 */
import type { Executor } from '../db/client.ts'
import { cstDay } from './limits.ts'

export interface Usage {
  /** the day the daily limits count in (YYYY-MM-DD, China Standard Time) */
  day: string
  requestsThisMinute: number
  subjectsToday: number
}

export async function usageOf (db: Executor, clientId: string, now: Date): Promise<Usage> {
  const day = cstDay(now)
  const [row] = await db.query<{ requests: number | string | null, subjects: number | string | null }>(
    `select (select count from usage_requests where client_id = $1 and minute = date_trunc('minute', $2::timestamptz))
              as requests,
            (select subjects from usage_daily where client_id = $1 and day = $3::date) as subjects`,
    [clientId, now.toISOString(), day])
  return { day, requestsThisMinute: Number(row?.requests ?? 0), subjectsToday: Number(row?.subjects ?? 0) }
}
