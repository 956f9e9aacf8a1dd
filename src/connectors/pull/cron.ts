/**
 * A pull connector's `schedule` (design §14.2): a 5-field cron expression — minute, hour, day of
 * month, month, day of week — read in China Standard Time (UTC+8, no daylight saving). Each field
 * is `*`, a number, a range `a-b`, a step `*\/n` or `a-b/n`, or a comma-separated list of these;
 * day of week 0–7 with 0 and 7 both Sunday. As in Vixie cron, when both day fields are restricted
 * a day matches either. Names (`MON`, `JAN`) and the `@daily` shorthands are not accepted: the
 * error says which field is wrong and what it takes.
 */

interface Field { name: string, min: number, max: number }
const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 }
]

export interface Cron {
  minutes: Set<number>
  hours: Set<number>
  days: Set<number>
  months: Set<number>
  weekdays: Set<number>
  /** whether the day-of-month and day-of-week fields were `*` */
  anyDay: boolean
  anyWeekday: boolean
}

/** A schedule that cannot be read; the message names the field and what it accepts. */
export class CronError extends Error {
  override name = 'CronError'
}

const CST_OFFSET_MS = 8 * 3600_000

function parseField (text: string, f: Field): Set<number> {
  const out = new Set<number>()
  const num = (s: string): number => {
    if (!/^\d{1,2}$/.test(s)) throw new CronError(`the ${f.name} field "${text}" is not a number, range or step`)
    const n = Number(s)
    if (n < f.min || n > f.max) throw new CronError(`the ${f.name} must be between ${f.min} and ${f.max}`)
    return n
  }
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/')
    if (extra !== undefined || range === undefined || range === '') {
      throw new CronError(`the ${f.name} field "${text}" is not a number, range or step`)
    }
    const step = stepText === undefined ? 1 : num(stepText)
    if (step === 0) throw new CronError(`the ${f.name} step may not be 0`)
    let lo: number
    let hi: number
    if (range === '*') {
      lo = f.min
      hi = f.max
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-')
      if (more !== undefined) throw new CronError(`the ${f.name} range "${range}" is not a-b`)
      lo = num(a!)
      hi = num(b!)
      if (lo > hi) throw new CronError(`the ${f.name} range "${range}" runs backwards`)
    } else {
      lo = num(range)
      hi = stepText === undefined ? lo : f.max
    }
    for (let n = lo; n <= hi; n += step) out.add(n)
  }
  return out
}

/** Parses a 5-field cron expression (see above); throws CronError naming what is wrong. */
export function parseCron (expression: string): Cron {
  const parts = expression.trim().split(/\s+/)
  if (parts.length !== 5) {
    throw new CronError('a schedule has 5 fields: minute hour day-of-month month day-of-week ' +
      '(e.g. "30 2 * * *" for 02:30 China Standard Time every day)')
  }
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!))
  if (weekdays!.has(7)) weekdays!.add(0)
  return {
    minutes: minutes!,
    hours: hours!,
    days: days!,
    months: months!,
    weekdays: weekdays!,
    anyDay: parts[2] === '*',
    anyWeekday: parts[4] === '*'
  }
}

/** Whether the minute containing `at` is one the schedule runs in (China Standard Time). */
export function cronMatches (cron: Cron, at: Date): boolean {
  const t = new Date(at.getTime() + CST_OFFSET_MS)
  if (!cron.minutes.has(t.getUTCMinutes()) || !cron.hours.has(t.getUTCHours())) return false
  if (!cron.months.has(t.getUTCMonth() + 1)) return false
  const dayOk = cron.days.has(t.getUTCDate())
  const weekdayOk = cron.weekdays.has(t.getUTCDay())
  if (cron.anyDay) return weekdayOk
  if (cron.anyWeekday) return dayOk
  return dayOk || weekdayOk
}

/** The start of the minute containing `at` (the slot a scheduled sync claims). */
export function minuteOf (at: Date): Date {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000)
}
