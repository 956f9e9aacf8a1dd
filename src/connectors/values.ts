/**
 * Parsing snapshot cells by their declared field type (design §5 "Snapshot bodies", §14.1
 * "Values"): values as offices write them. Surrounding space, TAB, U+00A0 and U+3000 are trimmed
 * for every type, quoted or not, in CSV and NDJSON alike; a value that is only such whitespace is
 * empty (null). CSV cells are text; NDJSON values keep their JSON types (a number for an integer,
 * true/false for a boolean), and their strings are read like CSV text. `name` and `hashed` values
 * are normalised here and keyed-hashed by the converter.
 *
 * A refused value carries a code and a reason that says what was expected, never the value.
 */
import type { FieldType } from '../matchers/predicate/index.ts'
import { normaliseName } from '../matchers/cn-name.ts'

export type CellCode = 'INVALID_VALUE' | 'INVALID_NAME'
export interface Refusal { ok: false, code: CellCode, reason: string }
export type CellResult = { ok: true, value: string | number | boolean | null } | Refusal

/** Longest string or hashed value kept; longer values are refused rather than cut. */
export const MAX_TEXT_LENGTH = 1024

export const DATE_FORMS = 'YYYY-MM-DD, YYYY-M-D, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日, ' +
  'optionally followed by a time'
export const BOOLEAN_FORMS = 'true/false, 1/0, 是/否 or Y/N (any case)'

/** The reasons a value is refused, one per rule (they name the accepted forms, never the value). */
export const REASONS = {
  integer: 'not an integer: digits with an optional leading minus, at most 16 digits (no thousands separators)',
  number: 'not a number: digits with an optional leading minus, decimal point and exponent (no thousands separators)',
  boolean: 'not a boolean: accepted are ' + BOOLEAN_FORMS,
  date: 'not a date: accepted are ' + DATE_FORMS,
  noSuchDate: 'not a calendar date (no such day, e.g. 2月30日 or 13月): accepted are ' + DATE_FORMS,
  badTime: 'the time after the date is not a time of day (H:MM or H:MM:SS, ISO T…)',
  tooLong: `longer than ${MAX_TEXT_LENGTH} characters`,
  badText: 'contains a NUL character or an unpaired surrogate',
  name: 'not a usable name: control, format or private-use characters, emoji, a placeholder (?, ？, 〓, U+FFFD), ' +
    'or longer than 64 characters',
  jsonString: 'must be a JSON string',
  jsonInteger: 'must be a JSON number that is an integer (at most 2^53)',
  jsonNumber: 'must be a finite JSON number',
  jsonBoolean: 'must be JSON true or false'
} as const

const NULL: CellResult = { ok: true, value: null }
const bad = (reason: string): Refusal => ({ ok: false, code: 'INVALID_VALUE', reason })
const BAD = {
  integer: bad(REASONS.integer),
  number: bad(REASONS.number),
  boolean: bad(REASONS.boolean),
  date: bad(REASONS.date),
  noSuchDate: bad(REASONS.noSuchDate),
  badTime: bad(REASONS.badTime),
  tooLong: bad(REASONS.tooLong),
  badText: bad(REASONS.badText),
  jsonString: bad(REASONS.jsonString),
  jsonInteger: bad(REASONS.jsonInteger),
  jsonNumber: bad(REASONS.jsonNumber),
  jsonBoolean: bad(REASONS.jsonBoolean)
}
const BAD_NAME: Refusal = { ok: false, code: 'INVALID_NAME', reason: REASONS.name }

const INTEGER = /^-?(0|[1-9]\d{0,15})$/
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/

function isTrimmed (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0xa0 || c === 0x3000
}

/** Without surrounding space, TAB, U+00A0, U+3000 (and nothing else: a line break is kept). */
export function trimCell (text: string): string {
  let start = 0
  let end = text.length
  while (start < end && isTrimmed(text.charCodeAt(start))) start++
  while (end > start && isTrimmed(text.charCodeAt(end - 1))) end--
  return start === 0 && end === text.length ? text : text.slice(start, end)
}

function daysInMonth (y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n

/** YYYY-MM-DD of a year (1-9999), month and day that exist, else null. */
function ymd (y: number, m: number, d: number): string | null {
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null
  return String(y).padStart(4, '0') + '-' + pad2(m) + '-' + pad2(d)
}

/** The canonical form, checked cheaply first: most files write dates this way. */
const CANONICAL_DATE = /^\d{4}-\d{2}-\d{2}$/
/**
 * The date forms of §14.1 and the optional time after them. Groups: 1 year; 2-3 with '-', 4-5 with
 * '/', 6-7 with '.', 8-9 YYYYMMDD, 10-11 年月日; 12-14 a time after spaces (H:MM[:SS[.f]]);
 * 15-18 an ISO time after T (HH:MM[:SS[.f]] and an optional Z or offset).
 */
const DATE = new RegExp('^(\\d{4})' +
  '(?:-(\\d{1,2})-(\\d{1,2})|/(\\d{1,2})/(\\d{1,2})|\\.(\\d{1,2})\\.(\\d{1,2})' +
  '|(\\d{2})(\\d{2})|年(\\d{1,2})月(\\d{1,2})日)' +
  '(?: +(\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,9})?)?' +
  '|T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.\\d{1,9})?)?(Z|[+-]\\d{2}(?::?\\d{2})?)?)?$')

const timeOk = (h: number, m: number, s: number): boolean => h <= 23 && m <= 59 && s <= 59

/**
 * A date as offices write it, as YYYY-MM-DD; or the reason it is refused. A time after the date is
 * ignored (Excel writes `2024/3/5 0:00`, databases `2024-03-05 00:00:00`), except an ISO time with
 * `Z` or an offset: that is an instant, and its date is the calendar date in China Standard Time
 * (design §5), so `2024-03-04T16:00:00Z`, a CST midnight serialised in UTC, is 2024-03-05.
 */
export function parseDate (text: string): { ok: true, value: string } | Refusal {
  if (CANONICAL_DATE.test(text)) {
    const v = ymd(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)))
    return v === null ? BAD.noSuchDate : { ok: true, value: v }
  }
  const g = DATE.exec(text)
  if (g === null) return BAD.date
  const y = Number(g[1])
  const m = Number(g[2] ?? g[4] ?? g[6] ?? g[8] ?? g[10])
  const d = Number(g[3] ?? g[5] ?? g[7] ?? g[9] ?? g[11])
  const date = ymd(y, m, d)
  if (date === null) return BAD.noSuchDate
  if (g[12] !== undefined && !timeOk(Number(g[12]), Number(g[13]), Number(g[14] ?? 0))) return BAD.badTime
  if (g[15] !== undefined) {
    const h = Number(g[15]); const mi = Number(g[16]); const s = Number(g[17] ?? 0)
    if (!timeOk(h, mi, s)) return BAD.badTime
    const zone = g[18]
    if (zone !== undefined) {
      const offset = zone === 'Z' ? 0 : offsetMinutes(zone)
      if (offset === null) return BAD.badTime
      return { ok: true, value: cstDate(y, m, d, h * 60 + mi - offset) }
    }
  }
  return { ok: true, value: date }
}

/** Minutes east of UTC of `+08`, `+0800` or `+08:00`; null when out of range. */
function offsetMinutes (zone: string): number | null {
  const digits = zone.slice(1).replace(':', '')
  const h = Number(digits.slice(0, 2))
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  if (h > 14 || m > 59) return null
  return (zone[0] === '-' ? -1 : 1) * (h * 60 + m)
}

/** The calendar date in UTC+8 of a UTC day plus some minutes (which may step over a day). */
function cstDate (y: number, m: number, d: number, utcMinutes: number): string {
  const t = new Date(0)
  t.setUTCFullYear(y, m - 1, d)
  t.setUTCHours(0, utcMinutes + 8 * 60, 0, 0)
  return String(t.getUTCFullYear()).padStart(4, '0') + '-' + pad2(t.getUTCMonth() + 1) + '-' + pad2(t.getUTCDate())
}

/** true, false or null (not a boolean), as offices write them. */
export function parseBoolean (text: string): boolean | null {
  switch (text.length <= 5 ? text.toLowerCase() : '') {
    case 'true': case '1': case '是': case 'y': return true
    case 'false': case '0': case '否': case 'n': return false
    default: return null
  }
}

/**
 * The normal form of a `hashed` value, the same at load and at question time: NFC, without
 * surrounding whitespace.
 */
export function normaliseHashedValue (text: string): string {
  return text.normalize('NFC').trim()
}

/** A string as kept: NFC; refused when too long or not storable. */
function cleanText (text: string): CellResult {
  if (text.length > MAX_TEXT_LENGTH) return BAD.tooLong
  // NUL cannot be stored in PostgreSQL text; lone surrogates would silently become U+FFFD.
  if (text.includes('\u0000') || !text.isWellFormed()) return BAD.badText
  return { ok: true, value: text.normalize('NFC') }
}

/** A text value (a CSV cell, or an NDJSON string) of a declared type. */
export function parseCsvCell (type: FieldType, cell: string): CellResult {
  const t = trimCell(cell)
  if (t === '') return NULL
  switch (type) {
    case 'string':
      return cleanText(t)
    case 'hashed': {
      const text = cleanText(t)
      return text.ok ? { ok: true, value: normaliseHashedValue(text.value as string) } : text
    }
    case 'integer': {
      if (!INTEGER.test(t)) return BAD.integer
      const n = Number(t)
      return Number.isSafeInteger(n) ? { ok: true, value: n } : BAD.integer
    }
    case 'number': {
      if (!NUMBER.test(t)) return BAD.number
      const n = Number(t)
      return Number.isFinite(n) ? { ok: true, value: n } : BAD.number
    }
    case 'boolean': {
      const b = parseBoolean(t)
      return b === null ? BAD.boolean : { ok: true, value: b }
    }
    case 'date': {
      return parseDate(t)
    }
    case 'name': {
      const r = normaliseName(t)
      return r.ok ? { ok: true, value: r.value } : BAD_NAME
    }
  }
}

/** An NDJSON value of a declared type: JSON types are kept, strings read like CSV text. */
export function parseJsonValue (type: FieldType, value: unknown): CellResult {
  if (value === null || value === undefined) return NULL
  switch (type) {
    case 'string':
    case 'hashed':
    case 'date':
    case 'name':
      return typeof value === 'string' ? parseCsvCell(type, value) : (type === 'name' ? BAD_NAME : BAD.jsonString)
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? { ok: true, value } : BAD.jsonInteger
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : BAD.jsonNumber
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : BAD.jsonBoolean
  }
}
