/**
 * Counts of the answers in the audit log for auditors (design §14.4): by day (Beijing time, as the
 * console shows times), by caller, by purpose and by question, over a half-open [from, to). Only
 * counts of the columns copied out of each entry: never a subject, case id or name.
 */
import type { Executor } from '../db/client.ts'
import { ShifouError } from '../errors.ts'
import { parseInstant } from '../instant.ts'

export interface Count { key: string, count: number, yes: number, no: number }
export interface Summary {
  from: string
  to: string
  total: number
  days: Count[]
  callers: Count[]
  purposes: Count[]
  questions: Count[]
}

const DAY = 86_400_000
/** At most a year at a time: the summary reads every answer in the range. */
export const MAX_DAYS = 366

const GROUPS = {
  days: "to_char(at at time zone 'Asia/Shanghai', 'YYYY-MM-DD')",
  callers: 'caller',
  purposes: 'purpose',
  questions: 'question'
} as const

/** The summary of [from, to); by default the 30 days up to now. */
export async function summarise (
  db: Executor, range: { from?: string, to?: string }, now = new Date()
): Promise<Summary> {
  const to = range.to === undefined ? now.toISOString() : parseInstant('to', range.to)
  const from = range.from === undefined
    ? new Date(Date.parse(to) - 30 * DAY).toISOString()
    : parseInstant('from', range.from)
  const span = Date.parse(to) - Date.parse(from)
  if (span <= 0) throw new ShifouError('INVALID_QUERY', 'from must be before to')
  if (span > MAX_DAYS * DAY) {
    throw new ShifouError('INVALID_QUERY', `from and to must be at most ${MAX_DAYS} days apart`)
  }
  const out: Summary = { from, to, total: 0, days: [], callers: [], purposes: [], questions: [] }
  for (const [group, expr] of Object.entries(GROUPS) as Array<[keyof typeof GROUPS, string]>) {
    const rows = await db.query<{ key: string | null, count: string, yes: string, no: string }>(
      `select ${expr} as key, count(*) as count,
          count(*) filter (where answer = 'yes') as yes, count(*) filter (where answer = 'no') as no
        from audit_entries
        where kind = 'answer' and at >= $1::timestamptz and at < $2::timestamptz
        group by 1 order by ${group === 'days' ? '1' : '2 desc, 1'}`, [from, to])
    out[group] = rows.map((r) => ({ key: r.key ?? '', count: Number(r.count), yes: Number(r.yes), no: Number(r.no) }))
  }
  out.total = out.days.reduce((n, d) => n + d.count, 0)
  return out
}
