/**
 * Evaluation of compiled predicates (design §6): every operator at its boundaries, null fields,
 * empty record sets, the combinators, exact sums, hashed and name fields, and the six example
 * questions of the design.
 */
import t from 'tap'
import type { FieldType, StoredRecord } from '../../src/matchers/predicate.ts'
import { compile, ctx, ev, fakeHash } from './predicate-helpers.ts'

type Row = [op: string, below: boolean, equal: boolean, above: boolean]
/** Expected results for a record one below, equal to, and one above the compared value. */
const TABLE: Row[] = [
  ['eq', false, true, false],
  ['ne', true, false, true],
  ['gt', false, false, true],
  ['gte', false, true, true],
  ['lt', true, false, false],
  ['lte', true, true, false]
]

interface Boundary {
  field: string
  below: string | number
  equal: string | number
  above: string | number
  param: string
}
const BOUNDARIES: Boundary[] = [
  { field: 'n', below: 9, equal: 10, above: 11, param: 'pi' },
  { field: 'n', below: -1, equal: 0, above: 1, param: 'pi' },
  { field: 'x', below: 1.25, equal: 1.5, above: 1.75, param: 'pn' },
  // the closest doubles either side of 0.1
  { field: 'x', below: 0.09999999999999999, equal: 0.1, above: 0.10000000000000002, param: 'pn' },
  { field: 'd', below: '2024-02-28', equal: '2024-02-29', above: '2024-03-01', param: 'pd' },
  { field: 'd', below: '2023-12-31', equal: '2024-01-01', above: '2024-01-02', param: 'pd' }
]

t.test('ordered operators at their boundaries, with a literal and with a param', async (t) => {
  for (const { field, below, equal, above, param } of BOUNDARIES) {
    for (const [op, b, e, a] of TABLE) {
      const forms: Array<[string, unknown, Record<string, string | number>]> = [
        ['literal', equal, {}],
        ['param', { param }, { [param]: equal }]
      ]
      for (const [label, value, params] of forms) {
        const p = compile({ any: { [field]: { [op]: value } } })
        const got = [below, equal, above].map((v) => p.evaluate([{ [field]: v }], ctx(params)))
        t.same(got, [b, e, a], `${field} ${op} ${label} ${JSON.stringify(equal)}`)
      }
    }
    const inp = compile({ any: { [field]: { in: [equal] } } })
    t.same(
      [below, equal, above].map((v) => inp.evaluate([{ [field]: v }], ctx())),
      [false, true, false],
      `${field} in [${String(equal)}]`
    )
  }
})

t.test('an integer param compares with a number field and a number param with an integer field', async (t) => {
  t.equal(ev({ any: { x: { gte: { param: 'pi' } } } }, [{ x: 2.5 }], ctx({ pi: 2 })), true)
  t.equal(ev({ any: { x: { gte: { param: 'pi' } } } }, [{ x: 1.5 }], ctx({ pi: 2 })), false)
  t.equal(ev({ any: { n: { lt: { param: 'pn' } } } }, [{ n: 2 }], ctx({ pn: 2.5 })), true)
  t.equal(ev({ any: { n: { eq: { param: 'pn' } } } }, [{ n: 2 }], ctx({ pn: 2.5 })), false)
})

t.test('eq, ne and in on string and boolean fields', async (t) => {
  t.equal(ev({ any: { s: { eq: 'a' } } }, [{ s: 'a' }]), true)
  t.equal(ev({ any: { s: { eq: 'a' } } }, [{ s: 'A' }]), false)
  t.equal(ev({ any: { s: { ne: 'a' } } }, [{ s: 'b' }]), true)
  t.equal(ev({ any: { s: { ne: 'a' } } }, [{ s: 'a' }]), false)
  t.equal(ev({ any: { s: { in: ['a', 'b'] } } }, [{ s: 'b' }]), true)
  t.equal(ev({ any: { s: { in: ['a', 'b'] } } }, [{ s: 'c' }]), false)
  t.equal(ev({ any: { s: { in: ['a', { param: 'ps' }] } } }, [{ s: 'z' }], ctx({ ps: 'z' })), true)
  t.equal(ev({ any: { s: { in: ['a', { param: 'ps' }] } } }, [{ s: 'y' }], ctx({ ps: 'z' })), false)
  t.equal(ev({ any: { s: { eq: { param: 'ps' } } } }, [{ s: 'q' }], ctx({ ps: 'q' })), true)
  t.equal(ev({ any: { b: { eq: false } } }, [{ b: false }]), true)
  t.equal(ev({ any: { b: { eq: false } } }, [{ b: true }]), false)
  t.equal(ev({ any: { b: { ne: false } } }, [{ b: true }]), true)
  t.equal(ev({ any: { b: { in: [true] } } }, [{ b: false }]), false)
  t.equal(ev({ any: { b: { eq: { param: 'pb' } } } }, [{ b: true }], ctx({ pb: true })), true)
  t.equal(ev({ any: { b: { eq: { param: 'pb' } } } }, [{ b: true }], ctx({ pb: false })), false)
  // types are never coerced at evaluation either
  t.equal(ev({ any: { n: { eq: 1 } } }, [{ n: '1' }]), false)
  t.equal(ev({ any: { n: { in: [0] } } }, [{ n: false }]), false)
})

t.test('a null field fails every comparison but eq null and satisfies ne null only when not null', async (t) => {
  const cases: Array<[string, string, unknown]> = [
    ['n', 'eq', 1],
    ['n', 'ne', 1],
    ['n', 'gt', 1],
    ['n', 'gte', 1],
    ['n', 'lt', 1],
    ['n', 'lte', 1],
    ['n', 'in', [1]],
    ['x', 'ne', 0.5],
    ['x', 'lt', 100],
    ['d', 'ne', '2024-01-01'],
    ['d', 'lte', '9999-12-31'],
    ['d', 'gte', '0001-01-01'],
    ['s', 'ne', 'a'],
    ['s', 'in', ['a']],
    ['b', 'ne', true],
    ['b', 'eq', false],
    ['h', 'eq', 'v'],
    ['h', 'in', ['v']]
  ]
  for (const [field, op, value] of cases) {
    const p = compile({ any: { [field]: { [op]: value } } })
    t.equal(p.evaluate([{ [field]: null }], ctx()), false, `null ${field} ${op}`)
    t.equal(p.evaluate([{}], ctx()), false, `missing ${field} ${op}`)
  }
  t.equal(ev({ any: { n: { ne: { param: 'pi' } } } }, [{ n: null }], ctx({ pi: 1 })), false, 'ne param on null')
  t.equal(
    ev({ any: { nm: { ne: { subject: 'name' } } } }, [{ nm: null }], ctx({}, 'x')),
    false,
    'ne subject name on null'
  )
  for (const field of ['n', 'x', 'd', 's', 'b']) {
    t.equal(ev({ any: { [field]: { eq: null } } }, [{ [field]: null }]), true, `eq null on null ${field}`)
    t.equal(ev({ any: { [field]: { eq: null } } }, [{}]), true, `eq null on missing ${field}`)
    t.equal(ev({ any: { [field]: { ne: null } } }, [{ [field]: null }]), false, `ne null on null ${field}`)
  }
  t.equal(ev({ any: { n: { eq: null } } }, [{ n: 0 }]), false, 'eq null on 0')
  t.equal(ev({ any: { s: { eq: null } } }, [{ s: '' }]), false, 'eq null on empty string')
  t.equal(ev({ any: { b: { eq: null } } }, [{ b: false }]), false, 'eq null on false')
  t.equal(ev({ any: { n: { ne: null } } }, [{ n: 0 }]), true, 'ne null on 0')
  t.equal(ev({ any: { b: { ne: null } } }, [{ b: false }]), true, 'ne null on false')
})

t.test('inherited properties of a record read as null', async (t) => {
  // an own 'constructor' field, as a connector may declare one; the records below lack it
  const fields = Object.fromEntries([['constructor', 'string']]) as Record<string, FieldType>
  const p = compile({ any: { constructor: { eq: null } } }, fields, {})
  t.equal(p.evaluate([{}], ctx()), true)
  t.equal(compile({ any: { constructor: { ne: null } } }, fields, {}).evaluate([{}], ctx()), false)
})

t.test('no records', async (t) => {
  t.equal(ev({ any: {} }, []), false, 'any {}')
  t.equal(ev({ all: {} }, []), false, 'all {} needs a record')
  t.equal(ev({ all: { n: { eq: null } } }, []), false, 'all is not vacuous')
  t.equal(ev({ count: { eq: 0 } }, []), true, 'count eq 0')
  t.equal(ev({ count: { gte: 1 } }, []), false, 'count gte 1')
  t.equal(ev({ count: { where: { n: { eq: 1 } }, lt: 1 } }, []), true, 'count where lt 1')
  t.equal(ev({ sum: { field: 'n', eq: 0 } }, []), true, 'sum of nothing is 0')
  t.equal(ev({ sum: { field: 'x', gt: 0 } }, []), false, 'sum gt 0')
  t.equal(ev({ sum: { field: 'x', gte: -0.5 } }, []), true, 'sum gte -0.5')
  t.equal(ev({ not: { any: {} } }, []), true, 'not any')
  t.equal(ev({ not: { all: {} } }, []), true, 'not all')
  t.equal(ev({ and: [{ any: {} }, { count: { eq: 0 } }] }, []), false)
  t.equal(ev({ or: [{ any: {} }, { count: { eq: 0 } }] }, []), true)
})

t.test('any, all and count over several records', async (t) => {
  const rs = [{ n: 1 }, { n: 2 }, { n: 3 }, { n: null }]
  t.equal(ev({ any: {} }, rs), true)
  t.equal(ev({ any: { n: { gt: 3 } } }, rs), false)
  t.equal(ev({ any: { n: { gt: 2 } } }, rs), true)
  t.equal(ev({ all: { n: { gte: 1 } } }, rs), false, 'the null record fails all')
  t.equal(ev({ all: { n: { gte: 1 } } }, rs.slice(0, 3)), true)
  t.equal(ev({ all: { n: { gte: 2 } } }, rs.slice(0, 3)), false)
  t.equal(ev({ all: {} }, rs), true)
  t.equal(ev({ count: { eq: 4 } }, rs), true)
  t.equal(ev({ count: { where: { n: { gte: 2 } }, eq: 2 } }, rs), true)
  t.equal(ev({ count: { where: { n: { gte: 2 } }, eq: 3 } }, rs), false)
  t.equal(ev({ count: { where: { n: { ne: null } }, gt: 2 } }, rs), true)
  t.equal(ev({ count: { where: { n: { ne: null } }, gt: 3 } }, rs), false)
  t.equal(ev({ count: { where: { n: { ne: null } }, lte: 3 } }, rs), true)
  t.equal(ev({ count: { where: { n: { ne: null } }, lt: 3 } }, rs), false)
  t.equal(ev({ count: { ne: 4 } }, rs), false)
  t.equal(ev({ count: { in: [1, 4] } }, rs), true)
  t.equal(ev({ count: { in: [1, 3] } }, rs), false)
  t.equal(ev({ count: { gte: { param: 'pi' } } }, rs, ctx({ pi: 4 })), true)
  t.equal(ev({ count: { gte: { param: 'pi' } } }, rs, ctx({ pi: 5 })), false)
  t.equal(ev({ count: { in: [1, { param: 'pi' }] } }, rs, ctx({ pi: 4 })), true)
})

t.test('sum skips nulls, filters with where and compares exactly', async (t) => {
  const rs: StoredRecord[] = [{ n: 5, x: 0.1 }, { n: null, x: 0.2 }, { n: 7, x: null }, { n: 3 }]
  t.equal(ev({ sum: { field: 'n', eq: 15 } }, rs), true)
  t.equal(ev({ sum: { field: 'n', gte: 15 } }, rs), true)
  t.equal(ev({ sum: { field: 'n', gt: 15 } }, rs), false)
  t.equal(ev({ sum: { field: 'n', lte: 14 } }, rs), false)
  t.equal(ev({ sum: { field: 'n', lt: 16 } }, rs), true)
  t.equal(ev({ sum: { field: 'n', ne: 15 } }, rs), false)
  t.equal(ev({ sum: { field: 'n', in: [1, 15] } }, rs), true)
  t.equal(ev({ sum: { field: 'n', where: { n: { gt: 4 } }, eq: 12 } }, rs), true)
  t.equal(ev({ sum: { field: 'n', where: { n: { gt: 4 } }, eq: 15 } }, rs), false)
  t.equal(ev({ sum: { field: 'n', gte: { param: 'pn' } } }, rs, ctx({ pn: 14.5 })), true)
  t.equal(ev({ sum: { field: 'n', gte: { param: 'pn' } } }, rs, ctx({ pn: 15.5 })), false)
  // 0.1 + 0.2 is 0.30000000000000004 in doubles; amounts are decimals, so the sum is 0.3 exactly
  t.equal(ev({ sum: { field: 'x', eq: 0.3 } }, rs), true, '0.1 + 0.2 eq 0.3')
  t.equal(ev({ sum: { field: 'x', lte: 0.3 } }, rs), true, '0.1 + 0.2 lte 0.3')
  t.equal(ev({ sum: { field: 'x', gt: 0.3 } }, rs), false, '0.1 + 0.2 gt 0.3')
  t.equal(ev({ sum: { field: 'x', in: [0.3] } }, rs), true, '0.1 + 0.2 in [0.3]')
  t.equal(ev({ sum: { field: 'x', gte: { param: 'pn' } } }, rs, ctx({ pn: 0.3 })), true)
  t.equal(ev({ sum: { field: 'x', eq: 0.4 } }, [{ x: 0.1 }, { x: 0.1 }, { x: 0.1 }, { x: 0.1 }]), true)
  t.equal(ev({ sum: { field: 'x', eq: 2.67 } }, [{ x: 1234.56 }, { x: -1231.89 }]), true)
  t.equal(ev({ sum: { field: 'x', eq: 0 } }, [{ x: 1e-7 }, { x: -1e-7 }]), true)
  t.equal(ev({ sum: { field: 'x', gt: 1e21 } }, [{ x: 1e21 }, { x: 0.5 }]), true)
  // beyond 2^53 a double sum rounds 2^53 - 1 + 2 down to 2^53
  const big = [{ n: Number.MAX_SAFE_INTEGER }, { n: 2 }]
  t.equal(ev({ sum: { field: 'n', gt: 2 ** 53 } }, big), true, 'sum past 2^53 stays exact')
  t.equal(ev({ sum: { field: 'n', eq: 2 ** 53 } }, big), false)
  t.equal(ev({ sum: { field: 'n', gt: 2 ** 53 } }, [{ n: Number.MAX_SAFE_INTEGER }, { n: 1 }]), false)
})

t.test('and, or and not at predicate level', async (t) => {
  const rs = [{ n: 1, s: 'a' }]
  const yes = { any: { n: { eq: 1 } } }
  const no = { any: { n: { eq: 2 } } }
  t.equal(ev({ and: [yes, yes] }, rs), true)
  t.equal(ev({ and: [yes, no] }, rs), false)
  t.equal(ev({ and: [no, yes] }, rs), false)
  t.equal(ev({ and: [yes, yes, no] }, rs), false)
  t.equal(ev({ and: [yes] }, rs), true)
  t.equal(ev({ or: [no, no] }, rs), false)
  t.equal(ev({ or: [no, yes] }, rs), true)
  t.equal(ev({ or: [no, no, yes] }, rs), true)
  t.equal(ev({ or: [no] }, rs), false)
  t.equal(ev({ not: yes }, rs), false)
  t.equal(ev({ not: no }, rs), true)
  t.equal(ev({ not: { not: yes } }, rs), true)
})

t.test('and, or and not at condition level, and several keys in one condition', async (t) => {
  const r = [{ n: 5, s: 'a', d: '2024-06-01' }]
  t.equal(ev({ any: { n: { gte: 1, lte: 5 } } }, r), true, 'two comparisons on one field are ANDed')
  t.equal(ev({ any: { n: { gte: 1, lt: 5 } } }, r), false)
  t.equal(ev({ any: { n: { eq: 5 }, s: { eq: 'a' } } }, r), true, 'two fields are ANDed')
  t.equal(ev({ any: { n: { eq: 5 }, s: { eq: 'b' } } }, r), false)
  t.equal(ev({ any: { and: [{ n: { eq: 5 } }, { s: { eq: 'a' } }] } }, r), true)
  t.equal(ev({ any: { and: [{ n: { eq: 5 } }, { s: { eq: 'b' } }] } }, r), false)
  t.equal(ev({ any: { and: [{}, {}, { s: { eq: 'b' } }] } }, r), false)
  t.equal(ev({ any: { or: [{ n: { eq: 4 } }, { s: { eq: 'a' } }] } }, r), true)
  t.equal(ev({ any: { or: [{ n: { eq: 4 } }, { s: { eq: 'b' } }] } }, r), false)
  t.equal(ev({ any: { or: [{ n: { eq: 4 } }, { s: { eq: 'b' } }, { d: { gt: '2024-05-31' } }] } }, r), true)
  t.equal(ev({ any: { not: { n: { eq: 5 } } } }, r), false)
  t.equal(ev({ any: { not: { n: { eq: 4 } } } }, r), true)
  t.equal(ev({ any: { not: {} } }, r), false, 'not {} is false')
  t.equal(
    ev({ any: { n: { eq: 5 }, or: [{ s: { eq: 'b' } }], not: { d: { eq: null } } } }, r),
    false,
    'every key must hold'
  )
  t.equal(ev({ any: { n: { eq: 5 }, or: [{ s: { eq: 'a' } }], not: { d: { eq: null } } } }, r), true)
  // a null field fails n eq 5, so its negation holds
  t.equal(ev({ any: { not: { n: { eq: 5 } } } }, [{ n: null }]), true)
})

t.test('hashed fields compare keyed hashes, once per evaluation', async (t) => {
  let calls = 0
  const counting = {
    params: { ps: 'v2' },
    subjectName: null,
    hashField: (f: string, v: string) => {
      calls++
      return fakeHash(f, v)
    }
  }
  const rs = [{ h: 'h:h:v1' }, { h: 'h:h:v3' }, { h: 'h:h:v2' }]
  t.equal(compile({ any: { h: { eq: { param: 'ps' } } } }).evaluate(rs, counting), true)
  t.equal(calls, 1, 'one hash for three records')
  t.equal(compile({ any: { h: { eq: 'v3' } } }).evaluate(rs, counting), true)
  t.equal(compile({ any: { h: { eq: 'v4' } } }).evaluate(rs, counting), false)
  t.equal(
    compile({ any: { h: { eq: 'h:h:v1' } } }).evaluate(rs, counting),
    false,
    'the literal is hashed, not compared raw'
  )
  t.equal(compile({ any: { h: { in: ['v9', { param: 'ps' }] } } }).evaluate([{ h: 'h:h:v2' }], counting), true)
  t.equal(compile({ any: { h: { in: ['v9', 'v8'] } } }).evaluate(rs, counting), false)
  calls = 0
  t.equal(compile({ any: { h: { eq: 'v1' } } }).evaluate([], counting), false)
  t.equal(calls, 0, 'no records, no hashing')
  const p = compile({ any: { h: { eq: 'v1' } } })
  t.same(p.hashedFields, ['h'])
  t.equal(p.usesSubjectName, false)
  t.same(compile({ any: { n: { eq: 1 } } }).hashedFields, [])
})

t.test('name fields compare with the hash of the subject name', async (t) => {
  const p = compile({ any: { nm: { eq: { subject: 'name' } } } })
  t.equal(p.usesSubjectName, true)
  t.same(p.hashedFields, ['nm'])
  t.equal(p.evaluate([{ nm: 'h:nm:张三' }], ctx({}, '张三')), true)
  t.equal(p.evaluate([{ nm: 'h:nm:张三' }], ctx({}, '李四')), false)
  t.equal(p.evaluate([{ nm: null }], ctx({}, '张三')), false)
  t.equal(compile({ any: { nm: { ne: { subject: 'name' } } } }).evaluate([{ nm: 'h:nm:李四' }], ctx({}, '张三')), true)
  t.equal(compile({ any: { nm: { ne: { subject: 'name' } } } }).evaluate([{ nm: 'h:nm:张三' }], ctx({}, '张三')), false)
  t.throws(() => p.evaluate([{ nm: 'h:nm:张三' }], ctx({}, null)), /subject name/)
  t.throws(() => p.evaluate([], ctx({}, null)), /subject name/, 'throws even without records')
  t.equal(compile({ any: { n: { eq: 1 } } }).usesSubjectName, false)
})

t.test('evaluation refuses params that validateParams would have refused', async (t) => {
  const p = compile({ any: { n: { eq: { param: 'pi' } } } })
  t.throws(() => p.evaluate([{ n: 1 }], ctx({})), /param "pi"/)
  t.throws(() => p.evaluate([{ n: 1 }], ctx({ pi: '1' })), /param "pi"/)
  t.equal(p.evaluate([{ n: 1 }], ctx({ pi: 1, unused: 'x' })), true)
})

t.test('the six example questions of design §6', async (t) => {
  const realestate = { parcel: 'string' } as const
  const holds = compile({ any: {} }, realestate, {})
  const none = compile({ not: { any: {} } }, realestate, {})
  t.equal(holds.evaluate([{ parcel: 'p1' }], ctx()), true, 'property.holds with a record')
  t.equal(holds.evaluate([], ctx()), false, 'property.holds without')
  t.equal(none.evaluate([{ parcel: 'p1' }], ctx()), false, 'property.none with a record')
  t.equal(none.evaluate([], ctx()), true, 'property.none without')

  const tax = { year: 'integer', amount: 'number' } as const
  const taxRecords: StoredRecord[] = [
    { year: 2024, amount: 1200.5 },
    { year: 2025, amount: 0 },
    { year: 2025, amount: 300.25 },
    { year: 2023, amount: null }
  ]
  const paid = compile({ any: { year: { eq: { param: 'year' } }, amount: { gt: 0 } } }, tax, { year: 'integer' })
  t.equal(paid.evaluate(taxRecords, ctx({ year: 2025 })), true, 'tax.paid_in_year 2025')
  t.equal(paid.evaluate(taxRecords, ctx({ year: 2024 })), true, 'tax.paid_in_year 2024')
  t.equal(paid.evaluate(taxRecords, ctx({ year: 2023 })), false, 'tax.paid_in_year 2023: amount null')
  t.equal(paid.evaluate(taxRecords.slice(1, 2), ctx({ year: 2025 })), false, 'tax.paid_in_year: zero is not paid')

  const income = compile(
    { sum: { field: 'amount', where: { year: { eq: { param: 'year' } } }, gte: { param: 'min' } } },
    tax, { year: 'integer', min: 'number' })
  t.equal(income.evaluate(taxRecords, ctx({ year: 2025, min: 300.25 })), true, 'income.at_least: equal')
  t.equal(income.evaluate(taxRecords, ctx({ year: 2025, min: 300.26 })), false, 'income.at_least: one cent more')
  t.equal(income.evaluate(taxRecords, ctx({ year: 2023, min: 0 })), true, 'income.at_least: null sums to 0')
  t.equal(income.evaluate(taxRecords, ctx({ year: 2022, min: 1 })), false, 'income.at_least: no records')

  const social = { start: 'date', end: 'date' } as const
  const active = compile({
    any: {
      start: { lte: { param: 'date' } },
      or: [{ end: { eq: null } }, { end: { gte: { param: 'date' } } }]
    }
  }, social, { date: 'date' })
  const spells: StoredRecord[] = [{ start: '2019-01-01', end: '2020-06-30' }, { start: '2022-03-01', end: null }]
  t.equal(active.evaluate(spells, ctx({ date: '2020-06-30' })), true, 'insurance.active_on: last day')
  t.equal(active.evaluate(spells, ctx({ date: '2020-07-01' })), false, 'insurance.active_on: day after')
  t.equal(active.evaluate(spells, ctx({ date: '2018-12-31' })), false, 'insurance.active_on: before')
  t.equal(active.evaluate(spells, ctx({ date: '2022-03-01' })), true, 'insurance.active_on: open spell starts')
  t.equal(active.evaluate(spells, ctx({ date: '2022-02-28' })), false, 'insurance.active_on: gap')
  t.equal(active.evaluate(spells, ctx({ date: '2030-01-01' })), true, 'insurance.active_on: open end')

  const household = { name: 'name', relation: 'string' } as const
  const matches = compile({ any: { name: { eq: { subject: 'name' } } } }, household, {})
  t.equal(matches.usesSubjectName, true)
  t.equal(
    matches.evaluate([{ name: fakeHash('name', '王小明'), relation: 'head' }], ctx({}, '王小明')),
    true,
    'identity.name_matches'
  )
  t.equal(
    matches.evaluate([{ name: fakeHash('name', '王小明'), relation: 'head' }], ctx({}, '王晓明')),
    false,
    'identity.name_matches: other name'
  )
  t.equal(matches.evaluate([], ctx({}, '王小明')), false, 'identity.name_matches: unknown subject')
})
