/**
 * Properties of the predicate compiler: it never throws on arbitrary JSON, and on random valid
 * predicates and random records it agrees with a direct reading of design §6 (the reference
 * interpreter below), and not/and/or behave as negation, conjunction and disjunction.
 */
import t from 'tap'
import fc from 'fast-check'
import type { EvalContext, StoredRecord } from '../../src/matchers/predicate.ts'
import { compilePredicate } from '../../src/matchers/predicate.ts'
import { FIELDS, PARAMS, compile, fakeHash } from './predicate-helpers.ts'

// ---- arbitrary input -----------------------------------------------------------------------------

const KEYS = [
  'any',
  'all',
  'count',
  'sum',
  'not',
  'and',
  'or',
  'where',
  'field',
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'param',
  'subject',
  'name',
  'n',
  'x',
  'd',
  's',
  'b',
  'nm',
  'h',
  'pi',
  'pn',
  'pd',
  'ps',
  'pb',
  '__proto__',
  'constructor'
]

/** JSON built from the language's own words, so that the compiler gets past its first checks. */
const nearlyValid = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom(...KEYS),
    fc.constantFrom('2024-02-29', '2023-02-29', 1.5, 2 ** 53, -1, 0),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 3 })
  )
})).node

const records = fc.array(
  fc.dictionary(
    fc.constantFrom('n', 'x', 'd', 's', 'b', 'nm', 'h', 'zz'),
    fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', '2024-01-01', 'h:h:a', true))
  ),
  { maxLength: 4 }
)

const anyCtx: EvalContext = {
  params: { pi: 1, pn: 0.5, pd: '2024-01-01', ps: 'a', pb: true },
  hashField: fakeHash,
  subjectName: 'a'
}

t.test('compilePredicate never throws on arbitrary JSON', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), (when) => {
    const r = compilePredicate(when, FIELDS, PARAMS)
    return r.ok || r.errors.length > 0
  }), { numRuns: 3000 })
  t.pass('fc.jsonValue')
  fc.assert(fc.property(nearlyValid, records, (when, rs) => {
    const r = compilePredicate(when, FIELDS, PARAMS)
    if (!r.ok) return r.errors.length > 0 && r.errors.every((e) => typeof e.path === 'string' && e.message.length > 0)
    return typeof r.predicate.evaluate(rs, anyCtx) === 'boolean'
  }), { numRuns: 5000 })
  t.pass('JSON in the words of the language, evaluated when it compiles')
})

// ---- random valid predicates ---------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const int = fc.integer({ min: -3, max: 3 })
/** Quarters add exactly in doubles, so the reference may sum with +. */
const quarter = fc.integer({ min: -8, max: 8 }).map((i) => i / 4)
const date = fc.constantFrom('2023-12-31', '2024-01-01', '2024-02-29', '2024-03-01')
const str = fc.constantFrom('a', 'b', 'c')
const param = (...names: string[]) => fc.constantFrom(...names).map((p) => ({ param: p }))

const VALUES: Record<string, fc.Arbitrary<Json>> = {
  n: fc.oneof(int, param('pi', 'pn')),
  x: fc.oneof(quarter, param('pi', 'pn')),
  d: fc.oneof(date, param('pd')),
  s: fc.oneof(str, param('ps')),
  b: fc.oneof(fc.boolean(), param('pb'))
}
const ORDERED = ['n', 'x', 'd']

function comparison (field: string): fc.Arbitrary<Json> {
  const value = VALUES[field]!
  const ops = ORDERED.includes(field) ? ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] : ['eq', 'ne']
  const one = fc.oneof(
    fc.tuple(fc.constantFrom(...ops), value),
    fc.tuple(fc.constantFrom('eq', 'ne'), fc.constant(null)),
    fc.tuple(fc.constant('in'), fc.array(value, { minLength: 1, maxLength: 3 }))
  )
  return fc.array(one, { minLength: 1, maxLength: 2 }).map((pairs) => Object.fromEntries(pairs) as Json)
}

const fieldCond: fc.Arbitrary<Json> = fc.array(
  fc.constantFrom('n', 'x', 'd', 's', 'b').chain((f) => comparison(f).map((c) => [f, c] as const)), { maxLength: 2 }
).map((pairs) => Object.fromEntries(pairs) as Json)

function condArb (depth: number): fc.Arbitrary<Json> {
  if (depth === 0) return fieldCond
  const inner = condArb(depth - 1)
  return fc.oneof(
    fieldCond,
    fc.array(inner, { minLength: 1, maxLength: 3 }).map((list) => ({ and: list })),
    fc.array(inner, { minLength: 1, maxLength: 3 }).map((list) => ({ or: list })),
    inner.map((c) => ({ not: c })),
    fc.tuple(fieldCond, inner).map(([f, c]) => ({ ...(f as object), not: c }) as Json)
  )
}

const cond = condArb(2)
const whereOpt = fc.option(cond, { nil: undefined })
const countTarget = fc.oneof(fc.integer({ min: 0, max: 4 }), param('pi'))
const sumTarget = fc.oneof(quarter, int, param('pi', 'pn'))

function aggregate (target: fc.Arbitrary<Json>): fc.Arbitrary<Record<string, Json>> {
  return fc.oneof(
    fc.tuple(fc.constantFrom('eq', 'ne', 'gt', 'gte', 'lt', 'lte'), target).map(([op, v]) => ({ [op]: v })),
    fc.array(target, { minLength: 1, maxLength: 3 }).map((list) => ({ in: list }))
  )
}

function predArb (depth: number): fc.Arbitrary<Json> {
  const leaves = fc.oneof(
    cond.map((c) => ({ any: c })),
    cond.map((c) => ({ all: c })),
    fc
      .tuple(whereOpt, aggregate(countTarget))
      .map(([where, cmp]) => ({ count: where === undefined ? cmp : { where, ...cmp } })),
    fc
      .tuple(fc.constantFrom('n', 'x'), whereOpt, aggregate(sumTarget))
      .map(([field, where, cmp]) => ({ sum: where === undefined ? { field, ...cmp } : { field, where, ...cmp } }))
  )
  if (depth === 0) return leaves
  const inner = predArb(depth - 1)
  return fc.oneof(
    leaves,
    inner.map((p) => ({ not: p })),
    fc.array(inner, { minLength: 1, maxLength: 3 }).map((list) => ({ and: list })),
    fc.array(inner, { minLength: 1, maxLength: 3 }).map((list) => ({ or: list }))
  )
}

const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 })
const record: fc.Arbitrary<StoredRecord> = fc.record(
  { n: maybe(int), x: maybe(quarter), d: maybe(date), s: maybe(str), b: maybe(fc.boolean()) },
  { requiredKeys: [] }
)
const params = fc.record({ pi: int, pn: quarter, pd: date, ps: str, pb: fc.boolean() })

// ---- the reference: design §6 read literally -----------------------------------------------------

type P = Record<string, string | number | boolean>
type V = string | number | boolean | null

function resolve (v: Json, ps: P): V {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? ps[v.param as string]! : v as V
}

function compareOne (fv: V, op: string, v: Json, ps: P): boolean {
  if (op === 'in') return fv !== null && (v as Json[]).some((item) => resolve(item, ps) === fv)
  const want = resolve(v, ps)
  if (op === 'eq') return want === null ? fv === null : fv !== null && fv === want
  if (op === 'ne') return want === null ? fv !== null : fv !== null && fv !== want
  if (fv === null) return false
  const a = fv as number | string
  const b = want as number | string
  return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b
}

function refCond (c: Record<string, Json>, r: StoredRecord, ps: P): boolean {
  return Object.entries(c).every(([key, v]) => {
    if (key === 'and') return (v as Array<Record<string, Json>>).every((x) => refCond(x, r, ps))
    if (key === 'or') return (v as Array<Record<string, Json>>).some((x) => refCond(x, r, ps))
    if (key === 'not') return !refCond(v as Record<string, Json>, r, ps)
    const fv = r[key] ?? null
    return Object.entries(v as Record<string, Json>).every(([op, value]) => compareOne(fv, op, value, ps))
  })
}

function refAggregate (total: number, spec: Record<string, Json>, ps: P): boolean {
  const op = Object.keys(spec).find((k) => k !== 'where' && k !== 'field')!
  return compareOne(total, op, spec[op]!, ps)
}

function ref (p: Record<string, Json>, rs: readonly StoredRecord[], ps: P): boolean {
  const [[key, v]] = Object.entries(p) as [[string, Json]]
  const spec = v as Record<string, Json>
  const where = (r: StoredRecord) => spec.where === undefined || refCond(spec.where as Record<string, Json>, r, ps)
  switch (key) {
    case 'any':
      return rs.some((r) => refCond(spec, r, ps))
    case 'all':
      return rs.length > 0 && rs.every((r) => refCond(spec, r, ps))
    case 'count':
      return refAggregate(rs.filter(where).length, spec, ps)
    case 'sum':
      return refAggregate(
        rs.filter(where).reduce((a, r) => a + ((r[spec.field as string] as number | null) ?? 0), 0),
        spec,
        ps
      )
    case 'not':
      return !ref(spec, rs, ps)
    case 'and':
      return (v as Array<Record<string, Json>>).every((x) => ref(x, rs, ps))
    case 'or':
      return (v as Array<Record<string, Json>>).some((x) => ref(x, rs, ps))
    default:
      throw new Error('generator produced ' + key)
  }
}

// ---- properties ----------------------------------------------------------------------------------

const context = (ps: P): EvalContext => ({ params: ps, hashField: fakeHash, subjectName: null })
const predicate = predArb(2)

t.test('compiled predicates agree with the reference interpreter', async (t) => {
  let yes = 0
  fc.assert(fc.property(predicate, fc.array(record, { maxLength: 4 }), params, (p, rs, ps) => {
    const got = compile(p).evaluate(rs, context(ps))
    if (got) yes++
    return got === ref(p as Record<string, Json>, rs, ps)
  }), { numRuns: 3000 })
  // a generator that always answered the same would prove little
  t.ok(yes > 300 && yes < 2700, `answers are mixed: ${yes} yes of 3000`)
})

t.test('not is negation, and is conjunction, or is disjunction', async (t) => {
  fc.assert(fc.property(predicate, predicate, fc.array(record, { maxLength: 4 }), params, (p, q, rs, ps) => {
    const c = context(ps)
    const vp = compile(p).evaluate(rs, c)
    const vq = compile(q).evaluate(rs, c)
    return compile({ not: p }).evaluate(rs, c) === !vp &&
      compile({ and: [p, q] }).evaluate(rs, c) === (vp && vq) &&
      compile({ or: [p, q] }).evaluate(rs, c) === (vp || vq) &&
      compile({ any: {} }).evaluate(rs, c) === (rs.length > 0)
  }), { numRuns: 2000 })
  t.pass('laws hold')
  fc.assert(fc.property(cond, cond, fc.array(record, { maxLength: 4 }), params, (a, b, rs, ps) => {
    const c = context(ps)
    const some = (x: Json) => compile({ any: x }).evaluate(rs, c)
    const count = (x: Json) => rs.filter((r) => compile({ any: x }).evaluate([r], c)).length
    return (
      count({ not: a }) === rs.length - count(a) &&
      count({ and: [a, b] }) ===
      rs.filter((r) => compile({ any: a }).evaluate([r], c) && compile({ any: b }).evaluate([r], c)).length &&
      some({ or: [a, b] }) === (some(a) || some(b))
    )
  }), { numRuns: 1000 })
  t.pass('condition-level laws hold')
})
