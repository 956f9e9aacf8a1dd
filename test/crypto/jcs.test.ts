import t from 'tap'
import fc from 'fast-check'
import canonicalize from 'canonicalize'
import { canonicalJson, inCanonicalOrder } from '../../src/crypto/jcs.ts'

t.test('RFC 8785 §3.2.3 sorting example', async (t) => {
  // The property names of RFC 8785 §3.2.3, sorted by UTF-16 code units.
  const input = JSON.parse('{"\\u20ac":"Euro Sign","\\r":"Carriage Return",' +
    '"\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face",' +
    '"\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}')
  // Read the names back in text order (JSON.parse would move the integer-like "1" first).
  const names = [...canonicalJson(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map(
    (m) => JSON.parse('"' + m[1] + '"') as string
  )
  t.same(names, ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'])
})

t.test('RFC 8785 §3.2.2 numbers and literals', async (t) => {
  t.equal(
    canonicalJson({
      // eslint-disable-next-line no-loss-of-precision -- RFC 8785's own example: 333333333.3333333 is what it becomes
      numbers: [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
      literals: [null, true, false]
    }),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
  )
  t.throws(() => canonicalJson({ x: NaN }))
  t.throws(() => canonicalJson({ x: Infinity }))
})

t.test('agrees with the canonicalize package on arbitrary JSON', async (t) => {
  fc.assert(fc.property(fc.jsonValue(), (v) => canonicalJson(v) === canonicalize(v)), { numRuns: 2000 })
  t.pass('2000 values')
})

/** The same JSON value with every object's members inserted in code-unit order. */
function inserted (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inserted)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    // defineProperty: a member named "__proto__" is a member, not the prototype.
    const member = inserted((value as Record<string, unknown>)[key])
    Object.defineProperty(out, key, { value: member, enumerable: true, writable: true, configurable: true })
  }
  return out
}

t.test('values built in order take JSON.stringify and agree with the canonicalize package', async (t) => {
  let ordered = 0
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const built = inserted(v)
    if (inCanonicalOrder(built)) ordered++
    return canonicalJson(built) === canonicalize(v)
  }), { numRuns: 2000 })
  // Only objects with integer-like names ("2" before "10") can fail to be in order once built so.
  t.ok(ordered > 1500, `${ordered} of 2000 in order`)
})

t.test('what JavaScript enumerates out of the RFC order goes member by member', async (t) => {
  const integers = JSON.parse('{"10":1,"2":2,"a":3}') as unknown
  t.notOk(inCanonicalOrder(integers), 'JavaScript enumerates "2" before "10"')
  t.equal(canonicalJson(integers), '{"10":1,"2":2,"a":3}')
  t.ok(inCanonicalOrder({ 1: 'x', a: 'y' }))
  const nested = { b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }
  t.equal(canonicalJson(nested), '{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}')
  t.equal(canonicalJson({ a: 1, b: undefined, c: 2 }), '{"a":1,"c":2}', 'undefined members are left out')
  t.equal(canonicalJson(Object.assign(Object.create(null) as object, { a: 1 })), '{"a":1}')
})

t.test('what is not JSON data is refused on either path', async (t) => {
  t.throws(() => canonicalJson([1, undefined]), TypeError)
  // eslint-disable-next-line no-sparse-arrays -- a hole is not JSON data
  t.throws(() => canonicalJson([1, , 2]), TypeError)
  t.throws(() => canonicalJson({ a: () => 1 }), TypeError)
  t.throws(() => canonicalJson({ a: 1n }), TypeError)
  t.throws(() => canonicalJson({ a: [Infinity] }), RangeError)
  t.throws(() => canonicalJson({ a: 1, toJSON: () => 'x' }), TypeError, 'toJSON is not followed')
  t.throws(() => canonicalJson(undefined), TypeError)
  // A class instance is not written through its toJSON: its own members, sorted, as before.
  t.equal(canonicalJson({ at: new Date(0) }), '{"at":{}}')
})
