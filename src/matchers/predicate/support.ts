/**
 * Helpers shared by the predicate compiler and validateParams: the compiler's state and error
 * reporting, JSON shape checks, JSON-pointer paths, and the calendar-date check.
 * Lookups go through Object.hasOwn so that `__proto__`, `constructor` and friends are unknown names.
 */
import type { CompileError, FieldType, Op, ParamType, StoredRecord } from './types.ts'
import { OPS } from './types.ts'

/** Enough to fix a definition; an adversarial one cannot make the error list large. */
const MAX_ERRORS = 20

export interface Compiler {
  readonly fields: Readonly<Record<string, FieldType>>
  readonly params: Readonly<Record<string, ParamType>>
  readonly errors: CompileError[]
  readonly hashedFields: Set<string>
  readonly usedParams: Map<string, ParamType>
  usesSubjectName: boolean
  slots: number
}

export function newCompiler (
  fields: Readonly<Record<string, FieldType>>,
  params: Readonly<Record<string, ParamType>>
): Compiler {
  return {
    fields,
    params,
    errors: [],
    hashedFields: new Set(),
    usedParams: new Map(),
    usesSubjectName: false,
    slots: 0
  }
}

/** Records an error and returns undefined, so that callers can `return fail(...)`. */
export function fail (c: Compiler, path: string, message: string): undefined {
  if (c.errors.length < MAX_ERRORS) c.errors.push({ path, message })
  return undefined
}

export function fieldType (c: Compiler, name: string): FieldType | undefined {
  return Object.hasOwn(c.fields, name) ? c.fields[name] : undefined
}

export function paramType (c: Compiler, name: string): ParamType | undefined {
  return Object.hasOwn(c.params, name) ? c.params[name] : undefined
}

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function isOp (key: string): key is Op {
  return (OPS as readonly string[]).includes(key)
}

/** RFC 6901 escaping, so that a path names exactly one place even for odd keys. */
export function pointer (path: string, key: string | number): string {
  return path + '/' + String(key).replaceAll('~', '~0').replaceAll('/', '~1')
}

/** A user-supplied key or name inside a message, quoted and bounded in length. */
export function quote (s: string): string {
  return JSON.stringify(s.length > 64 ? s.slice(0, 64) + '…' : s)
}

/** What a JSON value is, for "got …" in messages (never the value itself). */
export function describe (v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number'
  if (typeof v === 'object') return 'an object'
  return 'a ' + typeof v
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** A real Gregorian calendar date written YYYY-MM-DD (years 0001–9999). */
export function isValidDate (s: string): boolean {
  const m = DATE.exec(s)
  if (m === null) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (year < 1 || month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= (month === 2 && leap ? 29 : DAYS[month - 1] ?? 0)
}

/**
 * A stored value as the comparisons see it. Anything that is not a string, number or boolean (a
 * missing field, or an inherited property such as `constructor`) reads as null, so that a record
 * can never make a comparison reach into its prototype.
 */
export function read (r: StoredRecord, field: string): string | number | boolean | null {
  const v = r[field]
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null
}
