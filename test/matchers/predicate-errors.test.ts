/**
 * Compile errors of the predicate language: every class, each with the JSON pointer (relative to
 * `when`) of the offending place and a message that names the problem.
 */
import t from 'tap'
import type { FieldType, ParamType } from '../../src/matchers/predicate.ts'
import { compilePredicate } from '../../src/matchers/predicate.ts'
import { FIELDS, PARAMS } from './predicate-helpers.ts'

function errorsOf (
  when: unknown,
  fields: Record<string, FieldType> = FIELDS,
  params: Record<string, ParamType> = PARAMS
) {
  const r = compilePredicate(when, fields, params)
  return r.ok ? [] : r.errors
}

/** [label, when, path, message pattern]: each must fail with exactly that one error. */
type Case = [string, unknown, string, RegExp]

/** The assertions check() needs, from the root test or a subtest alike. */
type Asserts = Pick<typeof t, 'equal' | 'match'>

function check (t: Asserts, cases: Case[]): void {
  for (const [label, when, path, message] of cases) {
    const errors = errorsOf(when)
    t.equal(errors.length, 1, `${label}: one error`)
    t.equal(errors[0]?.path, path, `${label}: path`)
    t.match(errors[0]?.message, message, `${label}: message`)
  }
}

t.test('unknown fields and params', async (t) => {
  check(t, [
    ['unknown field', { any: { zz: { eq: 1 } } }, '/any/zz', /unknown field "zz"/],
    [
      'unknown field in count where',
      { count: { where: { zz: { eq: 1 } }, eq: 1 } },
      '/count/where/zz',
      /unknown field "zz"/
    ],
    [
      'unknown field in a nested cond',
      { any: { or: [{ n: { eq: 1 } }, { zz: { eq: 1 } }] } },
      '/any/or/1/zz',
      /unknown field/
    ],
    ['unknown param', { any: { n: { eq: { param: 'nope' } } } }, '/any/n/eq/param', /unknown param "nope"/],
    ['unknown param in in', { any: { n: { in: [1, { param: 'nope' }] } } }, '/any/n/in/1/param', /unknown param/],
    ['unknown param in count', { count: { eq: { param: 'nope' } } }, '/count/eq/param', /unknown param/],
    ['param name not a string', { any: { n: { eq: { param: 1 } } } }, '/any/n/eq/param', /must name a declared param/]
  ])
})

t.test('prototype names are unknown fields and params', async (t) => {
  for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']) {
    const field = JSON.parse(`{"any": {"${name}": {"eq": 1}}}`)
    const errors = errorsOf(field)
    t.same(errors.map((e) => e.path), [`/any/${name}`], `field ${name}`)
    t.match(errors[0]?.message, /unknown field/)
    const param = JSON.parse(`{"any": {"n": {"eq": {"param": "${name}"}}}}`)
    t.match(errorsOf(param), [{ path: '/any/n/eq/param', message: /unknown param/ }], `param ${name}`)
    const sum = JSON.parse(`{"sum": {"field": "${name}", "eq": 1}}`)
    t.match(errorsOf(sum), [{ path: '/sum/field', message: /unknown field/ }], `sum field ${name}`)
  }
  t.match(errorsOf(JSON.parse('{"__proto__": {"any": {}}}')), [{ path: '', message: /unknown predicate "__proto__"/ }])
  t.match(errorsOf(JSON.parse('{"count": {"__proto__": 1, "eq": 1}}')), [
    { path: '/count/__proto__', message: /unknown key/ }
  ])
})

t.test('operators a field type does not take', async (t) => {
  check(t, [
    [
      'gt on string',
      { any: { s: { gt: 'a' } } },
      '/any/s/gt',
      /"gt" applies to integer, number and date fields only; "s" is a string field/
    ],
    ['lte on boolean', { any: { b: { lte: true } } }, '/any/b/lte', /boolean field/],
    ['gt on hashed', { any: { h: { gt: 'a' } } }, '/any/h/gt', /hashed field "h" allows only eq and in/],
    ['ne on hashed', { any: { h: { ne: 'a' } } }, '/any/h/ne', /hashed field "h" allows only eq and in/],
    ['gt on name', { any: { nm: { gt: { subject: 'name' } } } }, '/any/nm/gt', /name field "nm" allows only eq and ne/],
    [
      'in on name',
      { any: { nm: { in: [{ subject: 'name' }] } } },
      '/any/nm/in',
      /name field "nm" allows only eq and ne/
    ],
    ['unknown operator', { any: { n: { like: 1 } } }, '/any/n/like', /unknown operator "like"/],
    ['operator in the wrong case', { any: { n: { EQ: 1 } } }, '/any/n/EQ', /unknown operator/],
    ['no operator', { any: { n: {} } }, '/any/n', /at least one comparison/],
    ['comparison not an object', { any: { n: 1 } }, '/any/n', /takes an object of comparisons/]
  ])
})

t.test('literals and params of the wrong type', async (t) => {
  check(t, [
    [
      'string for integer',
      { any: { n: { eq: '1' } } },
      '/any/n/eq',
      /integer field "n" needs a safe integer, got a string/
    ],
    ['fraction for integer', { any: { n: { gte: 1.5 } } }, '/any/n/gte', /needs a safe integer, got a number/],
    ['unsafe integer', { any: { n: { lt: 2 ** 53 } } }, '/any/n/lt', /needs a safe integer/],
    [
      'boolean for number',
      { any: { x: { eq: true } } },
      '/any/x/eq',
      /number field "x" needs a finite number, got a boolean/
    ],
    ['Infinity for number', { any: { x: { lt: Infinity } } }, '/any/x/lt', /finite number/],
    ['NaN for number', { any: { x: { eq: NaN } } }, '/any/x/eq', /finite number/],
    ['number for string', { any: { s: { eq: 1 } } }, '/any/s/eq', /string field "s" needs a string/],
    ['string for boolean', { any: { b: { eq: 'true' } } }, '/any/b/eq', /needs a boolean/],
    ['29 Feb of a common year', { any: { d: { eq: '2023-02-29' } } }, '/any/d/eq', /calendar date/],
    ['month 13', { any: { d: { gt: '2024-13-01' } } }, '/any/d/gt', /calendar date/],
    ['unpadded date', { any: { d: { gt: '2024-1-01' } } }, '/any/d/gt', /calendar date/],
    ['datetime for date', { any: { d: { gt: '2024-01-01T00:00:00Z' } } }, '/any/d/gt', /calendar date/],
    ['number for date', { any: { d: { eq: 20240101 } } }, '/any/d/eq', /calendar date/],
    ['number for hashed', { any: { h: { eq: 1 } } }, '/any/h/eq', /hashed field "h" needs a string/],
    [
      'literal for name',
      { any: { nm: { eq: '张三' } } },
      '/any/nm/eq',
      /name field "nm" can only be compared with \{"subject": "name"\}/
    ],
    [
      'param for name',
      { any: { nm: { eq: { param: 'ps' } } } },
      '/any/nm/eq/param',
      /param "ps" is string; name field "nm" takes no param/
    ],
    [
      'integer param for date',
      { any: { d: { eq: { param: 'pi' } } } },
      '/any/d/eq/param',
      /param "pi" is integer; date field "d" takes date params/
    ],
    [
      'string param for integer',
      { any: { n: { gt: { param: 'ps' } } } },
      '/any/n/gt/param',
      /takes integer or number params/
    ],
    ['date param for string', { any: { s: { eq: { param: 'pd' } } } }, '/any/s/eq/param', /takes string params/],
    ['integer param for hashed', { any: { h: { eq: { param: 'pi' } } } }, '/any/h/eq/param', /takes string params/],
    ['boolean param for number', { any: { x: { eq: { param: 'pb' } } } }, '/any/x/eq/param', /is boolean/],
    ['bad element of in', { any: { n: { in: [1, 'two', 3] } } }, '/any/n/in/1', /needs a safe integer/],
    ['array for eq', { any: { n: { eq: [1] } } }, '/any/n/eq', /only allowed with "in"/],
    ['null for gt', { any: { n: { gt: null } } }, '/any/n/gt', /null is only allowed with eq and ne/],
    [
      'null for a hashed field',
      { any: { h: { eq: null } } },
      '/any/h/eq',
      /hashed field "h": null is only allowed with eq and ne on string, integer/
    ],
    [
      'null for a name field',
      { any: { nm: { eq: null } } },
      '/any/nm/eq',
      /name field "nm" can only be compared with \{"subject": "name"\}/
    ],
    ['null in in', { any: { n: { in: [1, null] } } }, '/any/n/in/1', /use \{"eq": null\}/]
  ])
  t.same(
    errorsOf({ any: { n: { eq: { param: 'pn' } }, x: { eq: { param: 'pi' } } } }),
    [],
    'numeric params cross integer and number fields'
  )
})

t.test('subject name only against name fields', async (t) => {
  check(t, [
    [
      'subject name on string',
      { any: { s: { eq: { subject: 'name' } } } },
      '/any/s/eq',
      /can only be compared with a name field/
    ],
    [
      'subject name on hashed',
      { any: { h: { eq: { subject: 'name' } } } },
      '/any/h/eq',
      /can only be compared with a name field/
    ],
    [
      'subject name in count',
      { count: { eq: { subject: 'name' } } },
      '/count/eq',
      /can only be compared with a name field/
    ],
    [
      'subject id',
      { any: { nm: { eq: { subject: 'id' } } } },
      '/any/nm/eq/subject',
      /the only subject value is "name"/
    ],
    [
      'value object with two keys',
      { any: { n: { eq: { param: 'pi', subject: 'name' } } } },
      '/any/n/eq',
      /a value is a literal/
    ],
    ['value object of another kind', { any: { n: { eq: { value: 1 } } } }, '/any/n/eq', /a value is a literal/]
  ])
})

t.test('predicate shapes', async (t) => {
  check(t, [
    ['string', 'any', '', /a predicate is an object with exactly one key/],
    ['null', null, '', /got null/],
    ['array', [{ any: {} }], '', /got an array/],
    ['empty object', {}, '', /found none/],
    ['two keys', { any: {}, all: {} }, '', /found "any", "all"/],
    ['unknown key', { exists: {} }, '', /unknown predicate "exists"/],
    ['cond not an object', { any: true }, '/any', /a condition must be an object, got a boolean/],
    ['cond array', { all: [] }, '/all', /a condition must be an object, got an array/],
    ['predicate in a list', { and: [{ any: {} }, 1] }, '/and/1', /a predicate is an object/],
    ['cond in a list', { any: { and: [{}, 'x'] } }, '/any/and/1', /a condition must be an object/],
    ['not of a non-predicate', { not: {} }, '/not', /found none/],
    ['cond not of a non-object', { any: { not: [] } }, '/any/not', /a condition must be an object/]
  ])
})

t.test('and/or lists', async (t) => {
  const many = Array.from({ length: 33 }, () => ({ any: {} }))
  check(t, [
    ['empty and', { and: [] }, '/and', /"and" takes 1-32 items, got 0/],
    ['empty or', { or: [] }, '/or', /"or" takes 1-32 items, got 0/],
    ['and not a list', { and: { any: {} } }, '/and', /takes an array/],
    ['33 items', { or: many }, '/or', /got 33/],
    ['empty cond and', { any: { and: [] } }, '/any/and', /"and" takes 1-32 items/],
    ['empty cond or', { count: { where: { or: [] }, eq: 1 } }, '/count/where/or', /"or" takes 1-32 items/]
  ])
  t.same(errorsOf({ or: many.slice(1) }), [], '32 items are fine')
})

t.test('nesting depth', async (t) => {
  const nots = (k: number, inner: unknown): unknown => {
    let p = inner
    for (let i = 0; i < k; i++) p = { not: p }
    return p
  }
  // 14 nots, the any, and its condition: 16 levels
  t.same(errorsOf(nots(14, { any: {} })), [], '16 levels are fine')
  const deep = errorsOf(nots(15, { any: {} }))
  t.equal(deep.length, 1)
  t.equal(deep[0]?.path, '/not'.repeat(15) + '/any')
  t.match(deep[0]?.message, /nested deeper than 16 levels/)
  const condNots = (k: number): unknown => k === 0 ? {} : { not: condNots(k - 1) }
  t.same(errorsOf({ any: condNots(14) }), [], 'conditions count too: 16 levels')
  t.match(errorsOf({ any: condNots(15) }), [{ path: '/any' + '/not'.repeat(15), message: /deeper/ }])
  t.match(errorsOf(nots(13, { count: { where: condNots(1), eq: 1 } })), [], 'count where counts as a level')
  t.match(errorsOf(nots(14, { count: { where: condNots(1), eq: 1 } })), [
    { path: '/not'.repeat(14) + '/count/where/not', message: /deeper/ }
  ])
  // far too deep must not recurse without bound
  t.equal(errorsOf(nots(100_000, { any: {} })).length, 1)
})

t.test('in', async (t) => {
  check(t, [
    ['in with a number', { any: { n: { in: 1 } } }, '/any/n/in', /"in" takes an array of 1-100 values, got an integer/],
    ['in with an object', { any: { s: { in: { a: 1 } } } }, '/any/s/in', /takes an array/],
    ['empty in', { any: { n: { in: [] } } }, '/any/n/in', /1-100 values, got 0/],
    ['101 values', { any: { n: { in: Array.from({ length: 101 }, (_, i) => i) } } }, '/any/n/in', /got 101/],
    ['count in not a list', { count: { in: 1 } }, '/count/in', /takes an array/]
  ])
  t.same(errorsOf({ any: { n: { in: Array.from({ length: 100 }, (_, i) => i) } } }), [], '100 values are fine')
})

t.test('count and sum', async (t) => {
  check(t, [
    ['count with two comparisons', { count: { gte: 1, lte: 3 } }, '/count', /exactly one comparison.*found gte, lte/],
    ['count with none', { count: { where: {} } }, '/count', /exactly one comparison.*found none/],
    ['count not an object', { count: 1 }, '/count', /"count" takes \{"where"\?: Cond/],
    ['count extra key', { count: { eq: 1, field: 'n' } }, '/count/field', /unknown key "field" in "count"/],
    ['count with a fraction', { count: { eq: 1.5 } }, '/count/eq', /count needs a safe integer/],
    [
      'count with a number param',
      { count: { gte: { param: 'pn' } } },
      '/count/gte/param',
      /param "pn" is number; count takes integer params/
    ],
    ['count with null', { count: { eq: null } }, '/count/eq', /compares with a number, not null/],
    [
      'sum on a string field',
      { sum: { field: 's', gte: 1 } },
      '/sum/field',
      /"sum" needs an integer or number field; "s" is a string field/
    ],
    ['sum on a date field', { sum: { field: 'd', gte: 1 } }, '/sum/field', /"d" is a date field/],
    ['sum on an unknown field', { sum: { field: 'zz', gte: 1 } }, '/sum/field', /unknown field "zz"/],
    ['sum field not a string', { sum: { field: ['n'], gte: 1 } }, '/sum/field', /must name an integer or number field/],
    ['sum without field', { sum: { gte: 1 } }, '/sum', /"sum" needs "field"/],
    ['sum with two comparisons', { sum: { field: 'n', gt: 1, lt: 3 } }, '/sum', /exactly one comparison/],
    ['sum extra key', { sum: { field: 'n', gt: 1, when: {} } }, '/sum/when', /unknown key "when"/],
    ['sum with a string', { sum: { field: 'x', gt: '1' } }, '/sum/gt', /sum needs a finite number/],
    ['sum with a date param', { sum: { field: 'x', gt: { param: 'pd' } } }, '/sum/gt/param', /param "pd" is date/],
    ['sum in with a bad element', { sum: { field: 'x', in: [1, true] } }, '/sum/in/1', /finite number/]
  ])
  t.same(errorsOf({ sum: { field: 'n', where: { n: { gt: 0 } }, lt: { param: 'pn' } } }), [])
  t.same(errorsOf({ count: { in: [1, { param: 'pi' }] } }), [])
})

t.test('several errors are reported at once, with escaped paths', async (t) => {
  const errors = errorsOf({ and: [{ any: { zz: { eq: 1 } } }, { any: { n: { eq: 'x' } } }, { bogus: 1 }] })
  t.same(errors.map((e) => e.path), ['/and/0/any/zz', '/and/1/any/n/eq', '/and/2'])
  t.same(errorsOf({ any: { 'a/b~c': { eq: 1 } } }).map((e) => e.path), ['/any/a~1b~0c'])
  const flood = Object.fromEntries(Array.from({ length: 500 }, (_, i) => ['f' + i, { eq: 1 }]))
  t.equal(errorsOf({ any: flood }).length, 20, 'the error list is bounded')
  t.match(
    errorsOf({ any: { ['z'.repeat(1000)]: { eq: 1 } } })[0]?.message,
    /^unknown field "z{64}…"$/,
    'long keys are cut'
  )
})

t.test('a field of an unsupported declared type is an error, not a crash', async (t) => {
  const r = compilePredicate({ any: { q: { eq: 1 } } }, { q: 'float' as FieldType }, {})
  t.match(r, { ok: false, errors: [{ path: '/any/q', message: /unsupported type/ }] })
})
