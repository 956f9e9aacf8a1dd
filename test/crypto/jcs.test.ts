import t from 'tap'
import fc from 'fast-check'
import canonicalize from 'canonicalize'
import { canonicalJson } from '../../src/crypto/jcs.ts'

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
