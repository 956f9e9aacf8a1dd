/**
 * Compiles one Value (literal | {"param": p} | {"subject": "name"}) against what its comparison
 * accepts. Type mismatches are compile errors here, so evaluation never checks a value's type.
 * Values compared with name/hashed fields become getters that hash once per evaluation (memo slot).
 */
import type { Compiler } from './support.ts'
import type { Getter, Operand, ParamType, ParamValue } from './types.ts'
import { describe, fail, isPlainObject, isValidDate, paramType, pointer, quote } from './support.ts'

export type LiteralKind = 'string' | 'integer' | 'number' | 'boolean' | 'date'

/** What one comparison accepts on its right-hand side. */
export interface OperandSpec {
  /** For messages: "integer field \"year\"", "count". */
  label: string
  /** The literal type accepted, or null if no literal is (name fields). */
  literal: LiteralKind | null
  params: readonly ParamType[]
  /** {"subject": "name"} is accepted (name fields only). */
  subject: boolean
  /** Field whose key hashes the value before comparing (name and hashed fields), or null. */
  hash: string | null
}

const LITERAL_TEXT: Record<LiteralKind, string> = {
  string: 'a string',
  integer: 'a safe integer',
  number: 'a finite number',
  boolean: 'a boolean',
  date: 'a calendar date YYYY-MM-DD'
}

const VALUE_FORMS = 'a value is a literal, {"param": name}, {"subject": "name"} or null'

export function compileOperand (c: Compiler, v: unknown, path: string, spec: OperandSpec): Operand | undefined {
  if (isPlainObject(v)) return compileReference(c, v, path, spec)
  if (Array.isArray(v)) return fail(c, path, `${spec.label}: an array is only allowed with "in"`)
  const kind = spec.literal
  if (kind === null) return fail(c, path, `${spec.label} can only be compared with {"subject": "name"}`)
  if (v === null) {
    return fail(c, path,
      `${spec.label}: null is only allowed with eq and ne on string, integer, number, boolean and date fields`)
  }
  if (!literalFits(kind, v)) {
    return fail(c, path, `${spec.label} needs ${LITERAL_TEXT[kind]}, got ${describeLiteral(kind, v)}`)
  }
  const value = v as ParamValue
  const field = spec.hash
  if (field === null) return { lit: true, value }
  return { lit: false, get: hashGetter(c, field, () => value as string) }
}

function literalFits (kind: LiteralKind, v: unknown): boolean {
  switch (kind) {
    case 'string': return typeof v === 'string'
    case 'integer': return typeof v === 'number' && Number.isSafeInteger(v)
    case 'number': return typeof v === 'number' && Number.isFinite(v)
    case 'boolean': return typeof v === 'boolean'
    case 'date': return typeof v === 'string' && isValidDate(v)
  }
}

function describeLiteral (kind: LiteralKind, v: unknown): string {
  if (kind === 'date' && typeof v === 'string') return 'a string that is not one'
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a non-finite number'
  if (kind === 'integer' && typeof v === 'number' && Number.isInteger(v)) return 'an integer beyond ±(2^53 - 1)'
  return describe(v)
}

function compileReference (
  c: Compiler,
  v: Record<string, unknown>,
  path: string,
  spec: OperandSpec
): Operand | undefined {
  const keys = Object.keys(v)
  if (keys.length === 1 && keys[0] === 'param') return compileParam(c, v.param, pointer(path, 'param'), spec)
  if (keys.length === 1 && keys[0] === 'subject') return compileSubject(c, v.subject, path, spec)
  return fail(c, path, `${spec.label}: ${VALUE_FORMS}`)
}

function compileParam (c: Compiler, name: unknown, path: string, spec: OperandSpec): Operand | undefined {
  if (typeof name !== 'string') return fail(c, path, `"param" must name a declared param, got ${describe(name)}`)
  const type = paramType(c, name)
  if (type === undefined) return fail(c, path, `unknown param ${quote(name)}`)
  if (!spec.params.includes(type)) {
    const wanted = spec.params.length === 0 ? 'no param' : spec.params.join(' or ') + ' params'
    return fail(c, path, `param ${quote(name)} is ${type}; ${spec.label} takes ${wanted}`)
  }
  c.usedParams.set(name, type)
  const field = spec.hash
  if (field !== null) return { lit: false, get: hashGetter(c, field, (ctx) => ctx.params[name] as string) }
  // evaluate() checked that every used param is present with its type, hence the assertion
  return { lit: false, get: (ctx) => ctx.params[name] as ParamValue }
}

function compileSubject (c: Compiler, what: unknown, path: string, spec: OperandSpec): Operand | undefined {
  if (what !== 'name') return fail(c, pointer(path, 'subject'), 'the only subject value is "name"')
  if (!spec.subject || spec.hash === null) {
    return fail(c, path, `{"subject": "name"} can only be compared with a name field, not ${spec.label}`)
  }
  c.usesSubjectName = true
  // evaluate() throws before any comparison when subjectName is null, hence the assertion
  return { lit: false, get: hashGetter(c, spec.hash, (ctx) => ctx.subjectName as string) }
}

/** A getter hashing `value(ctx)` under `field`'s key, at most once per evaluation. */
function hashGetter (c: Compiler, field: string, value: (ctx: Parameters<Getter>[0]) => string): Getter {
  const slot = c.slots++
  c.hashedFields.add(field)
  return (ctx, memo) => (memo[slot] ??= ctx.hashField(field, value(ctx)))
}
