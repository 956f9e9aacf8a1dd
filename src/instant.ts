/**
 * Instants as the API takes them (design §14.5): RFC 3339 with a four-digit year, a date that
 * exists in the calendar, and a moment within years 1–9999 (UTC), which is all PostgreSQL's
 * timestamptz and an ISO string share. `2025-02-30` is refused, not read as 2 March; year 0000
 * (which PostgreSQL does not have) and offsets that carry a moment outside the range too.
 */
import { ShifouError, type ErrorCode } from './errors.ts'

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i
const MIN = Date.parse('0001-01-01T00:00:00Z')
const MAX = Date.parse('9999-12-31T23:59:59.999Z')

/** True when y-m-d is a day of the proleptic Gregorian calendar (year 1–9999). */
export function isCalendarDate (y: number, m: number, d: number): boolean {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return false
  const date = new Date(0)
  date.setUTCFullYear(y, m - 1, d)
  return date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

/**
 * The instant `value` as an ISO string (UTC, milliseconds), or a 400 with `code` naming the
 * parameter and what is accepted.
 */
export function parseInstant (name: string, value: string, code: ErrorCode = 'INVALID_QUERY'): string {
  const refuse = (): never => {
    throw new ShifouError(code, `${name} must be an RFC 3339 instant in years 0001-9999, ` +
      'e.g. 2026-01-31T00:00:00Z')
  }
  const m = RFC3339.exec(value)
  if (m === null) return refuse()
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  if (!isCalendarDate(y, mo, d) || h > 23 || mi > 59 || s > 59) return refuse()
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return refuse()
  const ms = Date.parse(value)
  if (Number.isNaN(ms) || ms < MIN || ms > MAX) return refuse()
  return new Date(ms).toISOString()
}
