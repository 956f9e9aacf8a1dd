/**
 * C2SP tlog-cosignature, Ed25519 cosignature/v1: the signed message of the spec's example, the
 * timestamped_signature layout checked with node:crypto directly, and what must not verify.
 * (Go's golang.org/x/mod/sumdb/note opens these notes too: test/interop.)
 */
import t from 'tap'
import { verify } from 'node:crypto'
import {
  cosignatureTimestamp, cosignatureV1Message, cosignatureV1Signer, cosignatureV1Verifier, cosignatureV1VerifierKey,
  parseCosignatureV1VerifierKey
} from '../../src/crypto/cosignature.ts'
import {
  SIGNATURE_TYPE_COSIGNATURE_V1, ed25519NoteSigner, ed25519NoteVerifier, ed25519PublicKey, ed25519SignerFromSeed,
  ed25519VerifierKey, keyId, openNote, parseVerifierKey, signNote
} from '../../src/crypto/signed-note.ts'

const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'
const witness = ed25519SignerFromSeed('witness.example.com/w1', new Uint8Array(32).fill(0x42))
const T = 1679315147
const signer = cosignatureV1Signer(witness, () => T * 1000 + 999)
const code = (r: ReturnType<typeof openNote>): string => (r.ok ? 'ok' : r.code)

t.test('the signed message is the spec example', async (t) => {
  t.equal(Buffer.from(cosignatureV1Message(BigInt(T), Buffer.from(body))).toString(),
    'cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')
  t.throws(() => cosignatureV1Message(-1n, new Uint8Array()), RangeError)
  t.throws(() => cosignatureV1Message(2n ** 63n, new Uint8Array()), RangeError)
})

t.test('a cosignature line: key ID of type 0x04, timestamp ‖ Ed25519 signature', async (t) => {
  const note = signNote(body, [signer])
  const line = note.slice(body.length + 1)
  const match = /^\u2014 witness\.example\.com\/w1 ([A-Za-z0-9+/]+=*)\n$/.exec(line)
  t.ok(match, line)
  const blob = Buffer.from(match![1]!, 'base64')
  t.equal(blob.length, 4 + 8 + 64)
  const id = Buffer.from(keyId(witness.name, 0x04, witness.publicKey))
  t.same(blob.subarray(0, 4), id, 'SHA-256(name ‖ \\n ‖ 0x04 ‖ key)[:4]')
  t.equal(blob.readBigUInt64BE(4), BigInt(T), 'the time in seconds, big-endian')
  const message = Buffer.from(`cosignature/v1\ntime ${T}\n${body}`)
  const publicKey = ed25519PublicKey(witness.publicKey)
  t.ok(verify(null, message, publicKey, blob.subarray(12)), 'Ed25519 over the header lines and the body')
  t.equal(cosignatureTimestamp({ signature: blob.subarray(4) }), T)
})

t.test('verifying', async (t) => {
  const v = cosignatureV1Verifier(witness)
  const note = signNote(body, [signer])
  t.equal(code(openNote(note, [v])), 'ok')
  t.equal(code(openNote(note.replace('20852163', '20852164'), [v])), 'INVALID_SIGNATURE', 'another size')
  // The timestamp is signed: moving it breaks the signature.
  const blob = Buffer.from(note.slice(note.lastIndexOf(' ') + 1, -1), 'base64')
  blob.writeBigUInt64BE(BigInt(T + 1), 4)
  const moved = `${body}\n\u2014 ${witness.name} ${blob.toString('base64')}\n`
  t.equal(code(openNote(moved, [v])), 'INVALID_SIGNATURE', 'another time')
  // An Ed25519 (0x01) signature and a cosignature by the same key have different key IDs: neither
  // verifier mistakes the other's line for its own.
  t.equal(code(openNote(note, [ed25519NoteVerifier(witness)])), 'UNVERIFIED')
  t.equal(code(openNote(signNote(body, [ed25519NoteSigner(witness)]), [v])), 'UNVERIFIED')
  const other = ed25519SignerFromSeed(witness.name, new Uint8Array(32).fill(0x43))
  t.equal(code(openNote(note, [cosignatureV1Verifier(other)])), 'UNVERIFIED', 'same name, other key')
  t.notOk(v.verify(Buffer.from(body), new Uint8Array(71)), 'short signature')
})

t.test('verifier keys of type 0x04', async (t) => {
  const vkey = cosignatureV1VerifierKey(witness)
  t.equal(parseVerifierKey(vkey)?.type, SIGNATURE_TYPE_COSIGNATURE_V1)
  t.same(parseCosignatureV1VerifierKey(vkey), { name: witness.name, publicKey: witness.publicKey })
  t.equal(parseCosignatureV1VerifierKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')), null, 'wrong key ID')
  const ed = ed25519VerifierKey(witness)
  t.equal(parseCosignatureV1VerifierKey(ed), null, 'an Ed25519 (0x01) key is not a cosigner key')
  const epoch = cosignatureV1Signer(witness, () => 0)
  t.throws(() => epoch.sign(Buffer.from(body)), RangeError, 'a timestamp of 0 is never sent')
})
