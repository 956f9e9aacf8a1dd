/**
 * C2SP signed-note: the published examples (golang.org/x/mod/sumdb/note's and the spec's),
 * verifier keys, and the rules for opening a note with several signatures (§Signatures).
 */
import t from 'tap'
import {
  type NoteVerifier, SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519, ed25519NoteSigner, ed25519NoteVerifier,
  ed25519SignerFromSeed, ed25519VerifierKey, keyId, openNote, parseEd25519VerifierKey, parseSignatureLines,
  parseVerifierKey, signNote
} from '../../src/crypto/signed-note.ts'

const code = (r: ReturnType<typeof openNote>): string => (r.ok ? 'ok' : r.code)

// The example of golang.org/x/mod/sumdb/note (note_test.go): key, text and signature.
t.test('reproduces the Go signed-note example byte for byte', async (t) => {
  const vkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
  const skey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
  const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
  const signed = text + '\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'
  const seed = Buffer.from(skey.split('+').slice(4).join('+'), 'base64').subarray(1) // base64 may hold '+'
  const peter = ed25519SignerFromSeed('PeterNeumann', seed)
  t.equal(ed25519VerifierKey(peter), vkey)
  t.same(parseEd25519VerifierKey(vkey)?.publicKey, peter.publicKey)
  t.equal(Buffer.from(keyId('PeterNeumann', SIGNATURE_TYPE_ED25519, peter.publicKey)).toString('hex'), 'c74f20a3')
  t.equal(signNote(text, [ed25519NoteSigner(peter)]), signed)
  const opened = openNote(signed, [ed25519NoteVerifier(peter)])
  t.ok(opened.ok && opened.text === text && opened.verified.length === 1, 'opens, text as signed')
  const changed = signed.replace('cryptography', 'cryptographY')
  t.equal(code(openNote(changed, [ed25519NoteVerifier(peter)])), 'INVALID_SIGNATURE')
})

// The example of the spec (§Verifier keys, "Example").
t.test('verifies the signed-note spec example', async (t) => {
  const vkey = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'
  const note = 'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n'
  const key = parseEd25519VerifierKey(vkey)
  t.ok(key)
  t.equal(code(openNote(note, [ed25519NoteVerifier(key!)])), 'ok')
  t.equal(code(openNote(note.replace('example', 'exampel'), [ed25519NoteVerifier(key!)])), 'INVALID_SIGNATURE')
})

t.test('verifier keys', async (t) => {
  const signer = ed25519SignerFromSeed('example.gov.tw/log', new Uint8Array(32).fill(7))
  const verifier = { name: signer.name, publicKey: signer.publicKey }
  const vkey = ed25519VerifierKey(verifier)
  t.same(parseEd25519VerifierKey(vkey), verifier)
  const bad = [vkey + '+', vkey.replace('+', '-'), vkey.slice(0, -4), vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'),
    'a+b', '']
  for (const k of bad) t.equal(parseEd25519VerifierKey(k), null, k)
  // A key whose base64 has a '+' in it.
  let seed = 0
  let plus = ed25519SignerFromSeed('plus', new Uint8Array(32))
  while (!ed25519VerifierKey(plus).split('+').slice(2).join('+').includes('+')) {
    plus = ed25519SignerFromSeed('plus', new Uint8Array(32).fill(++seed))
  }
  const plusKey = ed25519VerifierKey(plus)
  t.same(parseEd25519VerifierKey(plusKey), { name: 'plus', publicKey: plus.publicKey }, plusKey)
  // The type byte is part of the key ID: the same key as a cosigner (0x04) is another vkey.
  const raw = parseVerifierKey(vkey)
  t.equal(raw?.type, SIGNATURE_TYPE_ED25519)
  const cosignerId = Buffer.from(keyId(signer.name, SIGNATURE_TYPE_COSIGNATURE_V1, signer.publicKey)).toString('hex')
  const asCosigner = `${signer.name}+${cosignerId}+` +
    Buffer.concat([Buffer.of(4), signer.publicKey]).toString('base64')
  t.equal(parseVerifierKey(asCosigner)?.type, SIGNATURE_TYPE_COSIGNATURE_V1)
  t.equal(parseEd25519VerifierKey(asCosigner), null, 'not an Ed25519 (0x01) key')
})

t.test('opening: unknown keys ignored, a bad known signature rejects, one known signature needed', async (t) => {
  const a = ed25519SignerFromSeed('a.example/k', new Uint8Array(32).fill(1))
  const b = ed25519SignerFromSeed('b.example/k', new Uint8Array(32).fill(2))
  const text = 'line one\n\nline three after a blank line\n'
  const both = signNote(text, [ed25519NoteSigner(a), ed25519NoteSigner(b)])
  const va = ed25519NoteVerifier(a)
  const vb = ed25519NoteVerifier(b)
  const opened = openNote(both, [va])
  t.ok(opened.ok, 'b is unknown: ignored')
  if (opened.ok) {
    t.equal(opened.text, text, 'the text ends at the last blank line')
    t.same(opened.verified.map((s) => s.name), ['a.example/k'])
    t.same(opened.unverified.map((s) => s.name), ['b.example/k'])
  }
  const known = openNote(both, [va, vb])
  t.equal(known.ok ? known.verified.length : 0, 2, 'both known: both verified')
  t.equal(code(openNote(both, [])), 'UNVERIFIED')
  // Same name, other key: its ID differs, so the signature is someone else's and is ignored.
  const impostor: NoteVerifier = ed25519NoteVerifier(ed25519SignerFromSeed('a.example/k', new Uint8Array(32).fill(3)))
  t.equal(code(openNote(both, [impostor])), 'UNVERIFIED')
  // A line with a's name and ID but a broken signature rejects the note, wherever it is.
  const lines = both.slice(text.length + 1)
  const parsed = parseSignatureLines(lines)
  if (typeof parsed === 'string') throw new Error(parsed)
  const broken = Buffer.from(parsed[0]!.signature)
  broken[5] = broken[5]! ^ 1
  const forged = `\u2014 a.example/k ${Buffer.concat([parsed[0]!.keyId, broken]).toString('base64')}\n`
  t.equal(code(openNote(`${text}\n${lines}${forged}`, [va])), 'INVALID_SIGNATURE')
  t.equal(code(openNote(`${text}\n${forged}${lines}`, [va])), 'INVALID_SIGNATURE')
  t.equal(code(openNote(`${text}\n${forged}${lines}`, [vb])), 'ok', 'a forged line by a key not known is ignored')
})

t.test('signature lines and malformed notes', async (t) => {
  t.type(parseSignatureLines(''), 'string')
  t.type(parseSignatureLines('\u2014 a AAAAAAA=\n'), 'object', 'five bytes: a key ID and one byte')
  t.type(parseSignatureLines('\u2014 a AAAAAA==\n'), 'string', 'four bytes: no signature')
  t.type(parseSignatureLines('\u2014 a AAAAAAA=\n\u2014 b AAAAAAA='), 'string', 'no final newline')
  t.type(parseSignatureLines('- a AAAAAAA=\n'), 'string', 'hyphen for em dash')
  t.type(parseSignatureLines('\u2014 a+b AAAAAAA=\n'), 'string', 'plus in the name')
  t.type(parseSignatureLines('\u2014 a AAAAAAB=\n'), 'string', 'non-canonical base64')
  const a = ed25519SignerFromSeed('a', new Uint8Array(32).fill(1))
  t.throws(() => signNote('no newline', [ed25519NoteSigner(a)]), RangeError)
  t.throws(() => signNote('x\n', []), RangeError)
  t.throws(() => signNote('tab\there\n', [ed25519NoteSigner(a)]), RangeError)
  const otherKey = ed25519SignerFromSeed('a', new Uint8Array(32)).publicKey
  t.throws(() => ed25519NoteSigner({ ...a, publicKey: otherKey }), /not the public key/)
  t.throws(() => ed25519SignerFromSeed('has space', new Uint8Array(32)), RangeError)
  t.throws(() => ed25519SignerFromSeed('has+plus', new Uint8Array(32)), RangeError)
  t.throws(() => ed25519SignerFromSeed('name', new Uint8Array(31)), RangeError)
  t.equal(code(openNote(null as never, [ed25519NoteVerifier(a)])), 'MALFORMED')
})
