/**
 * HMAC-SHA256 of short messages (src/crypto/hmac-sha256.ts) and the keyed hashes built on it:
 * the RFC 4231 test vectors whose key fits a block, then agreement with node:crypto for every
 * message length either side of the one-block limit, through KeyedMac's two paths.
 */
import t from 'tap'
import fc from 'fast-check'
import { createHmac } from 'node:crypto'
import { MAX_SHORT_MESSAGE, ShortHmacSha256 } from '../../src/crypto/hmac-sha256.ts'
import { KeyedMac } from '../../src/keys/keyring.ts'

const hex = (s: string): Uint8Array => Buffer.from(s, 'hex')
const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1')

// RFC 4231 §4.2–§4.5 (test cases 1–4; 5 truncates the output, 6 and 7 have keys longer than a block).
const VECTORS = [
  {
    key: hex('0b'.repeat(20)),
    data: ascii('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'
  },
  {
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
  },
  {
    key: hex('aa'.repeat(20)),
    data: hex('dd'.repeat(50)),
    mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'
  },
  {
    key: hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
    data: hex('cd'.repeat(50)),
    mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'
  }
]

t.test('RFC 4231 test cases 1–4', async (t) => {
  for (const [i, v] of VECTORS.entries()) {
    const out = new Uint8Array(32)
    new ShortHmacSha256(v.key).macInto(v.data, out)
    t.equal(Buffer.from(out).toString('hex'), v.mac, `test case ${i + 1}`)
  }
})

t.test('every message length up to one block agrees with node:crypto', async (t) => {
  const key = hex('5f'.repeat(32))
  const mac = new ShortHmacSha256(key)
  const out = new Uint8Array(32)
  for (let n = 0; n <= MAX_SHORT_MESSAGE; n++) {
    const message = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)
    mac.macInto(message, out)
    t.equal(Buffer.from(out).toString('hex'), createHmac('sha256', key).update(message).digest('hex'), `${n} bytes`)
  }
  t.throws(
    () => {
      mac.macInto(new Uint8Array(MAX_SHORT_MESSAGE + 1), out)
    },
    RangeError,
    'a longer message is refused, not hashed wrongly'
  )
  t.throws(() => new ShortHmacSha256(new Uint8Array(65)), RangeError, 'so is a key longer than a block')
})

t.test('KeyedMac: short and long messages, any key, equal node:crypto', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 0, maxLength: 100 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    (key, text) => {
      const want = createHmac('sha256', key).update(text, 'utf8').digest('hex')
      return new KeyedMac(key).hex(text) === want
    }), { numRuns: 3000 })
  // The state is reused between calls: a long message must not disturb the next short one.
  const km = new KeyedMac(hex('11'.repeat(32)))
  const long = 'x'.repeat(200)
  const short = 'cn-ric-v1:110105199003071234'
  const first = km.hex(short)
  km.hex(long)
  t.equal(km.hex(short), first, 'a short message after a long one')
  t.equal(first, createHmac('sha256', hex('11'.repeat(32))).update(short).digest('hex'))
  t.pass('3,000 random keys and messages')
})
