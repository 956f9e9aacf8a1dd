/**
 * count and sum (design §6): {"count": {"where"?: Cond, CMP: n}} and
 * {"sum": {"field": f, "where"?: Cond, CMP: x}}. Exactly one comparison each. count compares with
 * an integer; sum adds an integer/number field over the matching records, skipping nulls (the sum
 * of no records is 0), exactly: in doubles while every partial sum is a safe integer, else in
 * decimal (decimal.ts).
 */
import type { Compiler } from './support.ts'
import type { OperandSpec } from './operand.ts'
import type { Dec } from './decimal.ts'
import type { EvalContext, Getter, Memo, Op, RecordTest, RecordsTest } from './types.ts'
import { addDec, compareDec, toDec } from './decimal.ts'
import { compileCond } from './cond.ts'
import { compileOperand } from './operand.ts'
import { describe, fail, fieldType, isOp, isPlainObject, pointer, quote } from './support.ts'
import { MAX_IN } from './types.ts'

type Kind = 'count' | 'sum'
/** Compares an aggregate (a double, or an exact decimal when `dec` is set) with the target(s). */
type AggregateTest = (total: number, dec: Dec | null, ctx: EvalContext, memo: Memo) => boolean

const SPEC: Readonly<Record<Kind, OperandSpec>> = {
  count: { label: 'count', literal: 'integer', params: ['integer'], subject: false, hash: null },
  sum: { label: 'sum', literal: 'number', params: ['integer', 'number'], subject: false, hash: null }
}

const SIGN: Readonly<Record<Exclude<Op, 'in'>, (sign: number) => boolean>> = {
  eq: (s) => s === 0,
  ne: (s) => s !== 0,
  gt: (s) => s > 0,
  gte: (s) => s >= 0,
  lt: (s) => s < 0,
  lte: (s) => s <= 0
}

interface Parts { where: RecordTest | null, field: string | null, test: AggregateTest }

export function compileAggregate (
  c: Compiler,
  kind: Kind,
  v: unknown,
  path: string,
  depth: number
): RecordsTest | undefined {
  const parts = compileParts(c, kind, v, path, depth)
  if (parts === undefined) return undefined
  const { where, field, test } = parts
  return field === null ? counter(where, test) : summer(field, where, test)
}

function compileParts (c: Compiler, kind: Kind, v: unknown, path: string, depth: number): Parts | undefined {
  const shape = kind === 'count'
    ? '{"where"?: Cond, <comparison>: value}'
    : '{"field": f, "where"?: Cond, <comparison>: value}'
  if (!isPlainObject(v)) return fail(c, path, `"${kind}" takes ${shape}, got ${describe(v)}`)
  let ok = true
  let where: RecordTest | null = null
  let field: string | null = null
  const ops: Op[] = []
  for (const key of Object.keys(v)) {
    const p = pointer(path, key)
    if (key === 'where') {
      const w = compileCond(c, v.where, p, depth + 1)
      if (w === undefined) ok = false
      else where = w
    } else if (key === 'field' && kind === 'sum') {
      field = sumField(c, v.field, p) ?? null
      if (field === null) ok = false
    } else if (isOp(key)) {
      ops.push(key)
    } else {
      fail(c, p, `unknown key ${quote(key)} in "${kind}"; it takes ${shape}`)
      ok = false
    }
  }
  if (kind === 'sum' && !Object.hasOwn(v, 'field')) {
    fail(c, path, '"sum" needs "field": an integer or number field')
    ok = false
  }
  const [op] = ops
  if (op === undefined || ops.length > 1) {
    const found = ops.length === 0 ? 'none' : ops.join(', ')
    return fail(c, path, `"${kind}" takes exactly one comparison (eq, ne, gt, gte, lt, lte or in); found ${found}`)
  }
  const test = compileComparison(c, kind, op, v[op], pointer(path, op))
  return ok && test !== undefined ? { where, field, test } : undefined
}

function sumField (c: Compiler, name: unknown, path: string): string | undefined {
  if (typeof name !== 'string') {
    return fail(c, path, `"field" must name an integer or number field, got ${describe(name)}`)
  }
  const type = fieldType(c, name)
  if (type === undefined) return fail(c, path, `unknown field ${quote(name)}`)
  if (type !== 'integer' && type !== 'number') {
    return fail(c, path, `"sum" needs an integer or number field; ${quote(name)} is a ${type} field`)
  }
  return name
}

function compileComparison (c: Compiler, kind: Kind, op: Op, v: unknown, path: string): AggregateTest | undefined {
  const targets = op === 'in' ? compileTargets(c, kind, v, path) : compileTarget(c, kind, v, path)
  if (targets === undefined) return undefined
  if (op === 'in') {
    return (total, dec, ctx, memo) => {
      for (let i = 0; i < targets.length; i++) {
        if (signOf(total, dec, targets[i]!(ctx, memo) as number) === 0) return true
      }
      return false
    }
  }
  const [get] = targets as [Getter]
  const holds = SIGN[op]
  return (total, dec, ctx, memo) => holds(signOf(total, dec, get(ctx, memo) as number))
}

function compileTarget (c: Compiler, kind: Kind, v: unknown, path: string): Getter[] | undefined {
  if (v === null) return fail(c, path, `"${kind}" compares with a number, not null`)
  const operand = compileOperand(c, v, path, SPEC[kind])
  if (operand === undefined) return undefined
  if (!operand.lit) return [operand.get]
  const value = operand.value
  return [() => value]
}

function compileTargets (c: Compiler, kind: Kind, v: unknown, path: string): Getter[] | undefined {
  if (!Array.isArray(v)) return fail(c, path, `"in" takes an array of 1-${MAX_IN} values, got ${describe(v)}`)
  if (v.length < 1 || v.length > MAX_IN) return fail(c, path, `"in" takes 1-${MAX_IN} values, got ${v.length}`)
  const getters: Getter[] = []
  let ok = true
  v.forEach((item: unknown, i) => {
    const one = compileTarget(c, kind, item, pointer(path, i))
    if (one === undefined) ok = false
    else getters.push(...one)
  })
  return ok ? getters : undefined
}

/** The sign of total − y; doubles compare exactly, so only a decimal total needs decimal work. */
function signOf (total: number, dec: Dec | null, y: number): number {
  if (dec !== null) return compareDec(dec, toDec(y))
  return total > y ? 1 : total < y ? -1 : 0
}

function counter (where: RecordTest | null, test: AggregateTest): RecordsTest {
  if (where === null) return (rs, ctx, memo) => test(rs.length, null, ctx, memo)
  return (rs, ctx, memo) => {
    let n = 0
    for (let i = 0; i < rs.length; i++) if (where(rs[i]!, ctx, memo)) n++
    return test(n, null, ctx, memo)
  }
}

function summer (field: string, where: RecordTest | null, test: AggregateTest): RecordsTest {
  return (rs, ctx, memo) => {
    let total = 0
    let dec: Dec | null = null
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!
      if (where !== null && !where(r, ctx, memo)) continue
      const v = r[field]
      // null, a missing field or a non-number is skipped (a number field never holds one after a load)
      if (typeof v !== 'number' || !Number.isFinite(v)) continue
      if (dec !== null) {
        dec = addDec(dec, toDec(v))
        continue
      }
      const next = total + v
      if (Number.isSafeInteger(v) && Number.isSafeInteger(next)) total = next
      else dec = addDec(toDec(total), toDec(v))
    }
    return test(total, dec, ctx, memo)
  }
}
