/**
 * validateParams: checks a request's params against a question's declared params (design §6:
 * typed and required). Never coerces: "2025" is not an integer. Messages name the param, never
 * echo its value.
 */
import type { ParamType, ParamValue, ValidateParamsResult } from './types.ts'
import { describe, isPlainObject, isValidDate, quote } from './support.ts'

const MAX_STRING = 256
/** With the u flag a surrogate range matches only unpaired surrogates. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

export function validateParams (declared: Readonly<Record<string, ParamType>>, input: unknown): ValidateParamsResult {
  // An absent params member is an empty object; null is not absent (types are never coerced).
  const given = input === undefined ? {} : input
  if (!isPlainObject(given)) return bad(`params must be an object, got ${describe(given)}`)
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) return bad(`unknown param ${quote(name)}`)
  }
  // Null prototype: a declared param called __proto__ is stored as data, not as a prototype.
  const params = Object.create(null) as Record<string, ParamValue>
  for (const [name, type] of Object.entries(declared)) {
    if (!Object.hasOwn(given, name)) return bad(`missing param ${quote(name)} (${type})`)
    const value = given[name]
    const problem = checkParam(type, value)
    if (problem !== undefined) return bad(`param ${quote(name)} ${problem}`)
    params[name] = value as ParamValue
  }
  return { ok: true, params }
}

function bad (message: string): ValidateParamsResult {
  return { ok: false, message }
}

/** Why `value` is not a valid `type`, or undefined if it is. */
export function checkParam (type: ParamType, value: unknown): string | undefined {
  switch (type) {
    case 'string': return checkString(value)
    case 'integer':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return undefined
      return `must be a safe integer, got ${describe(value)}`
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return undefined
      return `must be a finite number, got ${describe(value)}`
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be a boolean, got ${describe(value)}`
    case 'date':
      return typeof value === 'string' && isValidDate(value) ? undefined : 'must be a calendar date YYYY-MM-DD'
    default:
      return 'has an unsupported declared type'
  }
}

function checkString (value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode'
  if (value.includes('\0')) return 'must not contain NUL'
  const n = codePoints(value)
  if (n < 1 || n > MAX_STRING) return `must be 1-${MAX_STRING} characters long`
  return undefined
}

/** Length in code points of a well-formed string: each surrogate pair counts once. */
function codePoints (s: string): number {
  let pairs = 0
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i)
    if (u >= 0xd800 && u <= 0xdbff) pairs++
  }
  return s.length - pairs
}
