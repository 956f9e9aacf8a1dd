/**
 * Compiles a field's comparison object ({"gte": 1, "lt": 5}) into one record test. Which operators
 * and values a field takes depends on its declared type (design §5, §6). A null field fails every
 * comparison except eq null (true) and ne null (false): "comparisons with a null field are false".
 */
import type { Compiler } from './support.ts'
import type { FieldType, Getter, Op, Operand, OrderOp, ParamValue, RecordTest } from './types.ts'
import type { OperandSpec } from './operand.ts'
import { compileOperand } from './operand.ts'
import { describe, fail, isOp, isPlainObject, pointer, quote, read } from './support.ts'
import { MAX_IN, OPS } from './types.ts'
import { allOf } from './combine.ts'

const ALL_OPS: readonly Op[] = OPS
const ALLOWED: Readonly<Record<FieldType, readonly Op[]>> = {
  string: ['eq', 'ne', 'in'],
  integer: ALL_OPS,
  number: ALL_OPS,
  boolean: ['eq', 'ne', 'in'],
  date: ALL_OPS,
  name: ['eq', 'ne'],
  hashed: ['eq', 'in']
}

export function compileField (
  c: Compiler,
  field: string,
  type: FieldType,
  ops: unknown,
  path: string
): RecordTest | undefined {
  if (!Object.hasOwn(ALLOWED, type)) return fail(c, path, `field ${quote(field)} has an unsupported type`)
  if (!isPlainObject(ops)) {
    return fail(c, path,
      `field ${quote(field)} takes an object of comparisons such as {"eq": value}, got ${describe(ops)}`)
  }
  const keys = Object.keys(ops)
  if (keys.length === 0) return fail(c, path, `field ${quote(field)} needs at least one comparison`)
  const tests: RecordTest[] = []
  let ok = true
  for (const key of keys) {
    const test = compileOp(c, field, type, key, ops[key], pointer(path, key))
    if (test === undefined) ok = false
    else tests.push(test)
  }
  return ok ? allOf(tests) : undefined
}

function compileOp (
  c: Compiler,
  field: string,
  type: FieldType,
  op: string,
  v: unknown,
  path: string
): RecordTest | undefined {
  if (!isOp(op)) return fail(c, path, `unknown operator ${quote(op)}; expected eq, ne, gt, gte, lt, lte or in`)
  if (!ALLOWED[type].includes(op)) return fail(c, path, opNotAllowed(field, type, op))
  const spec = specFor(field, type)
  if (op === 'in') return compileIn(c, field, v, path, spec)
  if (v === null && (op === 'eq' || op === 'ne') && spec.literal !== null && spec.hash === null) {
    return op === 'eq' ? (r) => read(r, field) === null : (r) => read(r, field) !== null
  }
  const operand = compileOperand(c, v, path, spec)
  if (operand === undefined) return undefined
  if (op === 'eq') return eq(field, operand)
  if (op === 'ne') return ne(field, operand)
  return ordered(field, type === 'date', op, getterOf(operand))
}

function opNotAllowed (field: string, type: FieldType, op: Op): string {
  const f = quote(field)
  if (type === 'name') return `name field ${f} allows only eq and ne with {"subject": "name"}`
  if (type === 'hashed') return `hashed field ${f} allows only eq and in`
  return `"${op}" applies to integer, number and date fields only; ${f} is a ${type} field`
}

function specFor (field: string, type: FieldType): OperandSpec {
  const label = `${type} field ${quote(field)}`
  switch (type) {
    case 'integer':
    case 'number':
      return { label, literal: type, params: ['integer', 'number'], subject: false, hash: null }
    case 'name':
      return { label, literal: null, params: [], subject: true, hash: field }
    case 'hashed':
      return { label, literal: 'string', params: ['string'], subject: false, hash: field }
    default:
      return { label, literal: type, params: [type], subject: false, hash: null }
  }
}

function getterOf (operand: Operand): Getter {
  if (!operand.lit) return operand.get
  const value = operand.value
  return () => value
}

function eq (field: string, operand: Operand): RecordTest {
  if (!operand.lit) {
    const get = operand.get
    return (r, ctx, memo) => read(r, field) === get(ctx, memo)
  }
  const value = operand.value
  return (r) => read(r, field) === value
}

function ne (field: string, operand: Operand): RecordTest {
  if (!operand.lit) {
    const get = operand.get
    return (r, ctx, memo) => {
      const x = read(r, field)
      return x !== null && x !== get(ctx, memo)
    }
  }
  const value = operand.value
  return (r) => {
    const x = read(r, field)
    return x !== null && x !== value
  }
}

type Order = (a: number | string, b: number | string) => boolean
const ORDER: Readonly<Record<OrderOp, Order>> = {
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b
}

/** Dates compare as 'YYYY-MM-DD' strings, whose order is the calendar's. */
function ordered (field: string, isDate: boolean, op: OrderOp, get: Getter): RecordTest {
  const order = ORDER[op]
  if (isDate) {
    return (r, ctx, memo) => {
      const x = read(r, field)
      return typeof x === 'string' && order(x, get(ctx, memo) as string)
    }
  }
  return (r, ctx, memo) => {
    const x = read(r, field)
    return typeof x === 'number' && order(x, get(ctx, memo) as number)
  }
}

function compileIn (c: Compiler, field: string, v: unknown, path: string, spec: OperandSpec): RecordTest | undefined {
  if (!Array.isArray(v)) return fail(c, path, `"in" takes an array of 1-${MAX_IN} values, got ${describe(v)}`)
  if (v.length < 1 || v.length > MAX_IN) return fail(c, path, `"in" takes 1-${MAX_IN} values, got ${v.length}`)
  const literals = new Set<ParamValue>()
  const getters: Getter[] = []
  let ok = true
  v.forEach((item: unknown, i) => {
    const operand = item === null
      ? fail(c, pointer(path, i), 'null is not allowed in "in"; use {"eq": null}')
      : compileOperand(c, item, pointer(path, i), spec)
    if (operand === undefined) ok = false
    else if (operand.lit) literals.add(operand.value)
    else getters.push(operand.get)
  })
  return ok ? member(field, literals, getters) : undefined
}

function member (field: string, literals: ReadonlySet<ParamValue>, getters: readonly Getter[]): RecordTest {
  // null is never a member (compileIn refuses it), so a null field is simply not found
  if (getters.length === 0) return (r) => literals.has(read(r, field) as ParamValue)
  return (r, ctx, memo) => {
    const x = read(r, field)
    if (x === null) return false
    if (literals.has(x)) return true
    for (let i = 0; i < getters.length; i++) {
      if (getters[i]!(ctx, memo) === x) return true
    }
    return false
  }
}
