/**
 * RFC 9421 HTTP Message Signatures with Ed25519: the RFC's own vector (Appendix B.2.6, with the
 * test key of B.1.4), reproduced byte for byte and verified; then what must not verify.
 */
import t from 'tap'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import {
  contentDigest, parseSignatureParams, signMessage, signatureBase, verifyMessage, type HttpMessage
} from '../../src/crypto/http-signature.ts'

// RFC 9421 Appendix B.1.4, test-key-ed25519 (as a JWK).
const jwk = { kty: 'OKP', crv: 'Ed25519', d: 'n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU',
  x: 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs' }
const privateKey = createPrivateKey({ key: jwk, format: 'jwk' })
const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' })

// Appendix B.2: POST /foo?param=Value&Pet=dog to example.com.
function request (headers: Record<string, string>): HttpMessage {
  return {
    method: 'POST',
    authority: 'example.com',
    path: '/foo',
    header: (name) => headers[name]
  }
}
const b2 = {
  date: 'Tue, 20 Apr 2021 02:07:55 GMT',
  'content-type': 'application/json',
  'content-length': '18'
}
const B26 = ['date', '@method', '@path', '@authority', 'content-type', 'content-length']
const B26_INPUT = 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")' +
  ';created=1618884473;keyid="test-key-ed25519"'
const B26_SIGNATURE = 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5l' +
  'Ip5WPpBKRCw==:'

t.test('B.2.6: the signature base, Signature-Input and Signature of the RFC', async (t) => {
  const params = { created: 1618884473, keyid: 'test-key-ed25519' }
  t.equal(signatureBase(request(b2), B26, params), [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@method": POST',
    '"@path": /foo',
    '"@authority": example.com',
    '"content-type": application/json',
    '"content-length": 18',
    '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length")' +
    ';created=1618884473;keyid="test-key-ed25519"'
  ].join('\n'))
  const signed = signMessage(request(b2), B26, params, privateKey, 'sig-b26')
  t.equal(signed.signatureInput, B26_INPUT)
  t.equal(signed.signature, B26_SIGNATURE)
})

type Verified = ReturnType<typeof verifyMessage>
const verifyAt = (headers: Record<string, string>, now = 1618884473, required = B26): Verified =>
  verifyMessage(request(headers), publicKey, { label: 'sig-b26', required, now, maxSkew: 5, maxAge: 60 })

t.test('B.2.6 verifies; a changed component, time or signature does not', async (t) => {
  const good = { ...b2, 'signature-input': B26_INPUT, signature: B26_SIGNATURE }
  const ok = verifyAt(good)
  t.same('params' in ok ? ok.params : ok, { created: 1618884473, keyid: 'test-key-ed25519' })
  const refused = (headers: Record<string, string>, now?: number, required?: string[]): string => {
    const r = verifyAt(headers, now, required)
    return 'error' in r ? r.error : 'verified'
  }
  t.equal(refused({ ...good, 'content-length': '19' }), 'the signature does not verify')
  t.equal(refused({ ...good, date: 'Tue, 20 Apr 2021 02:07:56 GMT' }), 'the signature does not verify')
  t.equal(refused({ ...good, signature: B26_SIGNATURE.replace('wqc', 'wqd') }), 'the signature does not verify')
  t.equal(refused(good, 1618884473 + 61), 'the signature is too old')
  t.equal(refused(good, 1618884473 - 6), 'the signature was created in the future')
  t.equal(refused(good, undefined, [...B26, 'content-digest']), 'the signature does not cover content-digest')
  t.equal(refused({ ...good, 'signature-input': B26_INPUT.replace(';created', '; created') }),
    'the Signature-Input is not in the canonical form')
  t.equal(refused({ ...good, 'signature-input': B26_INPUT + ';created=1' }),
    'the Signature-Input is not in the canonical form')
  t.equal(refused({ ...good, 'signature-input': B26_INPUT + ';alg="rsa-pss-sha512"' }),
    'the Signature-Input is not in the canonical form')
  t.equal(refused({ ...good, 'content-type': undefined as unknown as string }), 'the message has no content-type')
  t.equal(refused({ ...b2 }), 'no signature sig-b26')
})

t.test('expires, nonce and alg round-trip; an expired signature is refused', async (t) => {
  const params = { created: 1000, expires: 1030, nonce: 'n-1', alg: 'ed25519' as const, keyid: 'hub' }
  const headers: Record<string, string> = { 'content-digest': contentDigest(Buffer.from('{}')) }
  const signed = signMessage(request(headers), ['@method', '@path', 'content-digest'], params, privateKey)
  t.same(parseSignatureParams(signed.signatureInput.slice('sig1='.length))?.params, params)
  const all = { ...headers, 'signature-input': signed.signatureInput, signature: signed.signature }
  const opts = { required: ['content-digest'], maxSkew: 5, maxAge: 60 }
  t.ok('params' in verifyMessage(request(all), publicKey, { ...opts, now: 1010 }))
  t.same(verifyMessage(request(all), publicKey, { ...opts, now: 1036 }), { error: 'the signature expired' })
})

t.test('RFC 9530 Content-Digest of the RFC\'s example body', async (t) => {
  // RFC 9530 §2: {"hello": "world"} followed by a newline.
  t.equal(contentDigest(Buffer.from('{"hello": "world"}\n')), 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:')
})
