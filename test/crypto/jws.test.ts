/**
 * Receipts as JWS (RFC 7515, EdDSA RFC 8037), checked by our verifier and by an independent JOSE
 * library (jose): a receipt verifies; any changed character fails; the header is pinned; the
 * subject commitment opens with the right ID and nonce only.
 */
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import * as jose from 'jose'
import { publicJwk, receiptKeys, kidOf, rawPublicKey } from '../../src/receipts/jwk.ts'
import { RECEIPT_TYPE, signReceipt, verifyReceipt, type ReceiptClaims } from '../../src/receipts/receipt.ts'
import { checkCommitment, NonceDeriver, subjectCommitment } from '../../src/receipts/commitment.ts'
import { decodeBase64url, encodeBase64url } from '../../src/crypto/base64url.ts'
import { signCompact } from '../../src/crypto/jws.ts'
import { makePeople } from '../../src/demo/population.ts'
import { omit } from '../helpers/omit.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const { privateKey } = generateKeyPairSync('ed25519')
const jwk = publicJwk(privateKey)
const key = { kid: jwk.kid, privateKey }
const jwks = { keys: [jwk] }
const person = makePeople(2, 11)
const idNumber = person[0]!.idNumber
const nonce = new NonceDeriver(new Uint8Array(32).fill(4)).nonce(
  '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  'property.none'
)

const claims: ReceiptClaims = {
  iss: 'test.shifou.local/audit',
  iat: 1_795_900_000,
  log: 'test.shifou.local/audit',
  idx: 41,
  vid: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
  q: 'tax.paid_in_year',
  p: { year: 2025 },
  a: 'yes',
  asOf: '2026-11-27',
  snap: 7,
  pur: 'housing-subsidy',
  case: 'HS-2026-0001',
  cli: 'demo-housing',
  sub_c: subjectCommitment(nonce, idNumber)
}
const receipt = signReceipt(claims, key)

/** The token with character `i` replaced by the next base64url character. */
function changed (token: string, i: number): string {
  const c = token[i]!
  const next = c === '.' ? 'A' : ALPHABET[(ALPHABET.indexOf(c) + 1) % 64]!
  return token.slice(0, i) + next + token.slice(i + 1)
}

t.test('a receipt verifies with our verifier and with jose, header pinned', async (t) => {
  const ours = verifyReceipt(receipt, receiptKeys(jwks))
  t.ok(ours.ok, 'our verifier accepts it')
  t.same(ours.ok && ours.claims, claims)
  const set = jose.createLocalJWKSet(jwks as jose.JSONWebKeySet)
  const { payload, protectedHeader } = await jose.jwtVerify(receipt, set, {
    typ: RECEIPT_TYPE,
    issuer: claims.iss,
    algorithms: ['EdDSA']
  })
  t.same(protectedHeader, { alg: 'EdDSA', kid: jwk.kid, typ: RECEIPT_TYPE })
  t.same(payload, claims, 'jose reads the same claims')
  t.equal(signReceipt(claims, key), receipt, 'Ed25519 is deterministic: the same claims give the same receipt')
  t.equal(jwk.kid, kidOf(rawPublicKey(privateKey)), 'kid is derived from the public key')
  t.equal(decodeBase64url(jwk.kid)!.length, 16)
})

t.test('any changed character fails, in the header, the payload and the signature', async (t) => {
  const keys = receiptKeys(jwks)
  const set = jose.createLocalJWKSet(jwks as jose.JSONWebKeySet)
  let ours = 0
  let theirs = 0
  const signatureStart = receipt.lastIndexOf('.') + 1
  for (let i = 0; i < receipt.length; i++) {
    const bad = changed(receipt, i)
    t.not(bad, receipt)
    if (verifyReceipt(bad, keys).ok) t.fail(`our verifier accepted a change at ${i}`); else ours++
    if (i < signatureStart) {
      // jose checks the bytes it signs: every change of header or payload text fails there too.
      try { await jose.compactVerify(bad, set); t.fail(`jose accepted a change at ${i}`) } catch { theirs++ }
    }
  }
  t.equal(ours, receipt.length, `all ${receipt.length} single-character changes refused by our verifier`)
  t.equal(theirs, signatureStart, 'every header and payload change refused by jose')

  // The signature's bytes: flip each bit of a few bytes and re-encode canonically.
  const [h, p, s] = receipt.split('.') as [string, string, string]
  const sig = decodeBase64url(s)!
  for (const byte of [0, 1, 31, 32, 62, 63]) {
    for (let bit = 0; bit < 8; bit++) {
      const flipped = Uint8Array.from(sig)
      flipped[byte] = flipped[byte]! ^ (1 << bit)
      const bad = `${h}.${p}.${encodeBase64url(flipped)}`
      t.notOk(verifyReceipt(bad, keys).ok, `signature byte ${byte} bit ${bit}: ours refuses`)
      await t.rejects(jose.compactVerify(bad, set), `signature byte ${byte} bit ${bit}: jose refuses`)
    }
  }
  // A non-canonical spelling of the same signature (unused bits of the last character set) is
  // refused here, so a receipt has one spelling; jose decodes it to the same bytes and accepts.
  const last = s[s.length - 1]!
  const sibling = ALPHABET[ALPHABET.indexOf(last) + 1]!
  t.notOk(verifyReceipt(`${h}.${p}.${s.slice(0, -1)}${sibling}`, keys).ok, 'non-canonical base64url is refused')
})

t.test('the header and the key are pinned', async (t) => {
  const keys = receiptKeys(jwks)
  const other = generateKeyPairSync('ed25519').privateKey
  const otherJwk = publicJwk(other)
  const bad = (token: string, what: string, reason: RegExp): void => {
    const r = verifyReceipt(token, keys)
    t.notOk(r.ok, what)
    t.match(!r.ok && r.reason, reason, what + ': reason')
  }
  bad(signCompact({ alg: 'EdDSA', kid: jwk.kid, typ: 'JWT' }, { ...claims }, privateKey), 'typ JWT', /typ/)
  bad(signCompact({ alg: 'EdDSA', kid: jwk.kid }, { ...claims }, privateKey), 'no typ', /typ/)
  bad(signCompact({ alg: 'EdDSA', typ: RECEIPT_TYPE }, { ...claims }, privateKey), 'no kid', /kid/)
  bad(signReceipt(claims, { kid: otherJwk.kid, privateKey: other }), 'a key that is not published', /not published/)
  bad(signReceipt(claims, { kid: jwk.kid, privateKey: other }), 'the published kid, signed by another key', /signature/)
  bad(
    signCompact({ alg: 'EdDSA', kid: jwk.kid, typ: RECEIPT_TYPE, crit: ['exp'] }, { ...claims }, privateKey),
    'crit header',
    /JWS/
  )
  const [h, p] = receipt.split('.') as [string, string]
  bad(
    `${encodeBase64url(JSON.stringify({ alg: 'none', kid: jwk.kid, typ: RECEIPT_TYPE }))}.${p}.`,
    'alg none, no signature',
    /JWS/
  )
  bad(
    `${encodeBase64url(JSON.stringify({ alg: 'none', kid: jwk.kid, typ: RECEIPT_TYPE }))}.${p}.` +
    receipt.split('.')[2],
    'alg none over a valid signature',
    /alg/
  )
  bad(`${h}.${p}`, 'two segments', /JWS/)
  bad(receipt + '.AAAA', 'four segments', /JWS/)
  bad(`${h}.${encodeBase64url('not json')}.${receipt.split('.')[2]}`, 'payload not JSON', /JWS/)
  const partial = omit(claims, 'sub_c')
  bad(
    signCompact({ alg: 'EdDSA', kid: jwk.kid, typ: RECEIPT_TYPE }, partial, privateKey),
    'a signed payload without sub_c',
    /claims/
  )
  bad(
    signCompact({ alg: 'EdDSA', kid: jwk.kid, typ: RECEIPT_TYPE }, { ...claims, a: 'maybe' }, privateKey),
    'an answer other than yes or no',
    /claims/
  )
  t.notOk(
    verifyReceipt(receipt, receiptKeys({ keys: [{ ...jwk, kid: otherJwk.kid }] })).ok,
    'a JWK whose kid is not its own is ignored'
  )
  t.notOk(
    verifyReceipt(receipt, receiptKeys({ keys: [{ ...jwk, x: otherJwk.x }] })).ok,
    'a JWK whose x is another key is ignored'
  )
  t.notOk(verifyReceipt(receipt, receiptKeys({ nokeys: true })).ok, 'no JWK Set, no key')
  t.notOk(verifyReceipt(42, keys).ok, 'not a string')
})

t.test('the subject commitment opens with the right ID and nonce only', async (t) => {
  const n = encodeBase64url(nonce)
  t.ok(checkCommitment(claims.sub_c, idNumber, n), 'right ID and nonce')
  t.notOk(checkCommitment(claims.sub_c, person[1]!.idNumber, n), 'another person')
  // Every one-character change of the ID.
  let refused = 0
  for (let i = 0; i < idNumber.length; i++) {
    for (const d of '0123456789X') {
      if (d === idNumber[i]) continue
      const other = idNumber.slice(0, i) + d + idNumber.slice(i + 1)
      if (checkCommitment(claims.sub_c, other, n)) t.fail(`accepted ${i}:${d}`); else refused++
    }
  }
  t.equal(refused, 18 * 10, 'every one-character change of the ID is refused')
  // Every bit of the nonce.
  let flips = 0
  for (let byte = 0; byte < 16; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const flipped = Uint8Array.from(nonce)
      flipped[byte] = flipped[byte]! ^ (1 << bit)
      if (checkCommitment(claims.sub_c, idNumber, encodeBase64url(flipped))) {
        t.fail(`accepted nonce flip ${byte}/${bit}`)
      } else flips++
    }
  }
  t.equal(flips, 16 * 8, 'every one-bit change of the nonce is refused')
  t.notOk(
    checkCommitment(
      claims.sub_c,
      idNumber,
      encodeBase64url(new NonceDeriver(new Uint8Array(32).fill(4)).nonce(claims.vid, 'property.holds'))
    ),
    'the nonce of another answer'
  )
  t.notOk(checkCommitment(claims.sub_c, idNumber, n + 'A'), 'a malformed nonce')
  t.notOk(checkCommitment(claims.sub_c, idNumber, undefined), 'no nonce')
  t.notOk(checkCommitment('AAAA', idNumber, n), 'a malformed commitment')
  t.equal(new NonceDeriver(new Uint8Array(32).fill(4)).nonce(claims.vid, 'x').length, 16)
  t.notSame(
    new NonceDeriver(new Uint8Array(32).fill(5)).nonce(claims.vid, 'x'),
    new NonceDeriver(new Uint8Array(32).fill(4)).nonce(claims.vid, 'x'),
    'nonces depend on the key'
  )
})
