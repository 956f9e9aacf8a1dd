/**
 * Parsing snapshot cells by their declared field type (design §5, "Snapshot bodies"): CSV cells
 * are text (an empty cell is null); NDJSON values must already have the right JSON type.
 * `name` and `hashed` values are normalised here and hashed by the loader.
 */
import type { FieldType } from '../matchers/predicate/index.ts'
import { normaliseName } from '../matchers/cn-name.ts'

export type CellResult =
  | { ok: true, value: string | number | boolean | null }
  | { ok: false, code: 'INVALID_VALUE' | 'INVALID_NAME' }

const BAD: CellResult = { ok: false, code: 'INVALID_VALUE' }
const NULL: CellResult = { ok: true, value: null }
const INTEGER = /^-?(0|[1-9]\d{0,15})$/
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
/** Longest string or hashed value kept; longer values are refused rather than cut. */
export const MAX_TEXT_LENGTH = 1024

export function isCalendarDate (text: string): boolean {
  const m = DATE.exec(text)
  if (m === null) return false
  const y = Number(m[1]); const mo = Number(m[2]); const d = Number(m[3])
  if (mo < 1 || mo > 12 || d < 1) return false
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!
  return d <= days
}

/**
 * The normal form of a `hashed` value, the same at load and at question time: NFC, without
 * surrounding whitespace.
 */
export function normaliseHashedValue (text: string): string {
  return text.normalize('NFC').trim()
}

function cleanText (text: string): string | null {
  // NUL cannot be stored in PostgreSQL text; lone surrogates would silently become U+FFFD.
  if (text.length > MAX_TEXT_LENGTH || text.includes('\u0000') || !text.isWellFormed()) return null
  return text.normalize('NFC')
}

/** A CSV cell (text) of a declared type. */
export function parseCsvCell (type: FieldType, cell: string): CellResult {
  if (cell === '') return NULL
  switch (type) {
    case 'string':
    case 'hashed': {
      const text = cleanText(cell)
      return text === null ? BAD : { ok: true, value: type === 'hashed' ? normaliseHashedValue(text) : text }
    }
    case 'integer': {
      const t = cell.trim()
      if (!INTEGER.test(t)) return BAD
      const n = Number(t)
      return Number.isSafeInteger(n) ? { ok: true, value: n } : BAD
    }
    case 'number': {
      const t = cell.trim()
      if (!NUMBER.test(t)) return BAD
      const n = Number(t)
      return Number.isFinite(n) ? { ok: true, value: n } : BAD
    }
    case 'boolean': {
      const t = cell.trim().toLowerCase()
      return t === 'true' ? { ok: true, value: true } : t === 'false' ? { ok: true, value: false } : BAD
    }
    case 'date': {
      const t = cell.trim()
      return isCalendarDate(t) ? { ok: true, value: t } : BAD
    }
    case 'name': {
      const r = normaliseName(cell)
      return r.ok ? { ok: true, value: r.value } : { ok: false, code: 'INVALID_NAME' }
    }
  }
}

/** An NDJSON value of a declared type: JSON types are never coerced. */
export function parseJsonValue (type: FieldType, value: unknown): CellResult {
  if (value === null || value === undefined) return NULL
  switch (type) {
    case 'string':
    case 'hashed':
    case 'date':
    case 'name':
      if (typeof value === 'string') return parseCsvCell(type, value)
      return type === 'name' ? { ok: false, code: 'INVALID_NAME' } : BAD
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? { ok: true, value } : BAD
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : BAD
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : BAD
  }
}
