/**
 * validateParams: params are typed and required (design §6); JSON types are never coerced.
 */
import t from 'tap'
import type { ParamType } from '../../src/matchers/predicate.ts'
import { validateParams } from '../../src/matchers/predicate.ts'
import { PARAMS } from './predicate-helpers.ts'
import { omit } from '../helpers/omit.ts'

const GOOD = { pi: 2025, pn: 1234.56, pd: '2024-02-29', ps: '北京市', pb: false }

t.test('valid params are returned as given', async (t) => {
  const r = validateParams(PARAMS, GOOD)
  t.same(r, { ok: true, params: GOOD })
  t.same(validateParams({}, undefined), { ok: true, params: {} }, 'absent params with none declared')
  t.same(validateParams({}, {}), { ok: true, params: {} })
  t.same(validateParams({ pn: 'number' }, { pn: 7 }), { ok: true, params: { pn: 7 } }, 'an integer is a number')
  t.same(validateParams({ pi: 'integer' }, { pi: -(2 ** 53 - 1) }), { ok: true, params: { pi: -(2 ** 53 - 1) } })
})

t.test('missing, unknown and malformed params objects', async (t) => {
  t.match(validateParams(PARAMS, undefined), { ok: false, message: /missing param "pi"/ })
  const noPb = omit(GOOD, 'pb')
  t.match(validateParams(PARAMS, noPb), { ok: false, message: /missing param "pb" \(boolean\)/ })
  t.match(validateParams(PARAMS, { ...GOOD, extra: 1 }), { ok: false, message: /unknown param "extra"/ })
  t.match(validateParams({}, { a: 1 }), { ok: false, message: /unknown param "a"/ })
  t.match(validateParams({}, null), { ok: false, message: /params must be an object, got null/ })
  t.match(validateParams({}, []), { ok: false, message: /got an array/ })
  t.match(validateParams({}, 'pi=1'), { ok: false, message: /got a string/ })
})

t.test('prototype names are unknown params, and a declared one is kept as data', async (t) => {
  for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
    const input = JSON.parse(`{"${name}": "x"}`)
    t.match(validateParams({}, input), { ok: false, message: new RegExp(`unknown param "${name}"`) }, name)
    t.match(
      validateParams({ ps: 'string' }, { ps: 'a', ...input }),
      { ok: false, message: /unknown param/ },
      `${name} beside a param`
    )
  }
  // inherited properties of the input do not count as given
  t.match(validateParams({ constructor: 'string' } as unknown as Record<string, ParamType>, {}), {
    ok: false,
    message: /missing param "constructor"/
  })
  const declared = JSON.parse('{"__proto__": "string"}') as Record<string, ParamType>
  const r = validateParams(declared, JSON.parse('{"__proto__": "v"}'))
  t.equal(r.ok, true)
  if (r.ok) {
    t.ok(Object.hasOwn(r.params, '__proto__'), 'kept as an own property')
    t.equal(r.params.__proto__, 'v')
  }
})

t.test('each type rejects what it is not', async (t) => {
  const bad: Array<[ParamType, unknown, RegExp]> = [
    ['integer', '2025', /must be a safe integer, got a string/],
    ['integer', 2025.5, /must be a safe integer, got a number/],
    ['integer', 2 ** 53, /must be a safe integer/],
    ['integer', NaN, /must be a safe integer/],
    ['integer', null, /got null/],
    ['integer', true, /got a boolean/],
    ['number', '1.5', /must be a finite number, got a string/],
    ['number', Infinity, /finite number/],
    ['number', -Infinity, /finite number/],
    ['number', NaN, /finite number/],
    ['number', [1], /got an array/],
    ['boolean', 'true', /must be a boolean/],
    ['boolean', 1, /must be a boolean/],
    ['boolean', 0, /must be a boolean/],
    ['date', '2023-02-29', /calendar date/],
    ['date', '2100-02-29', /calendar date/],
    ['date', '2024-04-31', /calendar date/],
    ['date', '2024-00-10', /calendar date/],
    ['date', '2024-01-00', /calendar date/],
    ['date', '0000-01-01', /calendar date/],
    ['date', '2024-1-1', /calendar date/],
    ['date', ' 2024-01-01', /calendar date/],
    ['date', '2024-01-01T00:00:00Z', /calendar date/],
    ['date', '２０２４-01-01', /calendar date/],
    ['date', 20240101, /calendar date/],
    ['string', '', /1-256 characters/],
    ['string', 'a'.repeat(257), /1-256 characters/],
    ['string', '好'.repeat(257), /1-256 characters/],
    ['string', 'a\0b', /NUL/],
    ['string', 'a\uD800b', /well-formed/],
    ['string', '\uDC00', /well-formed/],
    ['string', 1, /must be a string, got an integer/],
    ['string', { a: 1 }, /got an object/]
  ]
  for (const [type, value, message] of bad) {
    const r = validateParams({ p: type }, { p: value })
    t.match(r, { ok: false, message }, `${type}: ${String(value)}`)
    t.match(r, { ok: false, message: /^param "p" / }, 'names the param')
  }
})

t.test('each type accepts its boundaries', async (t) => {
  const good: Array<[ParamType, unknown]> = [
    ['integer', 0],
    ['integer', -1],
    ['integer', 2 ** 53 - 1],
    ['number', 0],
    ['number', -0.5],
    ['number', Number.MAX_VALUE],
    ['number', Number.MIN_VALUE],
    ['boolean', true],
    ['boolean', false],
    ['date', '2024-02-29'],
    ['date', '2000-02-29'],
    ['date', '0001-01-01'],
    ['date', '9999-12-31'],
    ['date', '2024-12-31'],
    ['string', 'a'],
    ['string', 'a'.repeat(256)],
    ['string', '😀'.repeat(256)],
    ['string', ' spaces ']
  ]
  for (const [type, value] of good) {
    t.same(
      validateParams({ p: type }, { p: value }),
      { ok: true, params: { p: value } },
      `${type}: ${String(value).slice(0, 20)}`
    )
  }
})

t.test('messages never echo a value', async (t) => {
  const r = validateParams({ p: 'integer' }, { p: '110101199003077777' })
  t.equal(r.ok, false)
  if (!r.ok) t.notMatch(r.message, /110101/)
  const s = validateParams({ p: 'date' }, { p: '110101199003077777' })
  t.equal(s.ok, false)
  if (!s.ok) t.notMatch(s.message, /110101/)
})
