import { createHash, createPublicKey, sign, verify } from 'node:crypto'
import t from 'tap'
import fc from 'fast-check'
import { type CheckpointSigner, openCheckpoint, signCheckpoint } from '../../src/audit/checkpoint-note.ts'
import {
  type Ed25519Signer, ed25519NoteSigner, ed25519SignerFromSeed as signerFromSeed, ed25519VerifierKey as verifierKey,
  signNote as signNoteWith
} from '../../src/crypto/signed-note.ts'
import { leafHash } from '../../src/audit/hasher.ts'

const ORIGIN = 'example.gov.tw/shifou/audit'
const signer = signerFromSeed(ORIGIN, new Uint8Array(32).fill(7))
const verifier = { name: signer.name, publicKey: signer.publicKey }
const checkpoint = { origin: ORIGIN, size: 1234, root: leafHash(new TextEncoder().encode('root')) }
const note = signCheckpoint(checkpoint, signer)
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
const signNote = (text: string, key: Ed25519Signer): string => signNoteWith(text, [ed25519NoteSigner(key)])

t.test('round trip', async (t) => {
  const opened = openCheckpoint(note, verifier, { origin: ORIGIN })
  t.ok(opened.ok)
  if (!opened.ok) return
  t.equal(opened.checkpoint.origin, ORIGIN)
  t.equal(opened.checkpoint.size, 1234)
  t.same(b64(opened.checkpoint.root), b64(checkpoint.root))
  t.same(opened.checkpoint.extensions, [])
  t.ok(openCheckpoint(new TextEncoder().encode(note), verifier).ok, 'as bytes')
})

t.test('the exact format, checked with node:crypto directly', async (t) => {
  const [body, signatures] = note.split('\n\n') as [string, string]
  t.equal(body + '\n', `${ORIGIN}\n1234\n${b64(checkpoint.root)}\n`)
  const match = /^\u2014 (\S+) ([A-Za-z0-9+/]+=*)\n$/.exec(signatures)
  t.ok(match, 'one signature line: "— <name> <base64>"')
  t.equal(match?.[1], ORIGIN)
  const blob = Buffer.from(match?.[2] ?? '', 'base64')
  t.equal(blob.length, 4 + 64)
  // key ID = SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4] (signed-note, Ed25519 type 0x01)
  const id = createHash('sha256').update(ORIGIN + '\n').update(Buffer.of(1)).update(signer.publicKey).digest().subarray(0, 4)
  t.same(blob.subarray(0, 4), id)
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), signer.publicKey])
  const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' })
  t.ok(verify(null, Buffer.from(body + '\n'), publicKey, blob.subarray(4)), 'Ed25519 over the body, final newline included')
  t.equal(verifierKey(verifier), `${ORIGIN}+${id.toString('hex')}+${b64(Buffer.concat([Buffer.of(1), signer.publicKey]))}`)
})

t.test('a valid note that is not a checkpoint is refused as malformed', async (t) => {
  const signed = signNote('a signed note\nthat is not a checkpoint\n', signer)
  const opened = openCheckpoint(signed, verifier)
  t.same(opened.ok ? 'ok' : opened.code, 'MALFORMED')
  t.equal(openCheckpoint(signed.replace('note', 'nose'), verifier).ok, false)
})

t.test('any changed byte fails', async (t) => {
  const bytes = Buffer.from(note, 'utf8')
  const accepted: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of [0x01, 0x20, 0x80]) {
      const changed = Buffer.from(bytes)
      changed[i] = (changed[i] as number) ^ mask
      if (openCheckpoint(new Uint8Array(changed), verifier).ok) accepted.push(i)
      if (openCheckpoint(changed.toString('utf8'), verifier).ok) accepted.push(i)
    }
  }
  t.same(accepted, [], `all ${bytes.length * 3} single-byte changes rejected`)
  t.notOk(openCheckpoint(note.slice(0, -1), verifier).ok, 'truncated')
  t.notOk(openCheckpoint(note + '\n', verifier).ok, 'trailing blank line')
})

t.test('keys: the verifier must have signed it', async (t) => {
  const code = (r: ReturnType<typeof openCheckpoint>) => (r.ok ? 'ok' : r.code)
  const stranger = signerFromSeed('stranger', new Uint8Array(32).fill(9))
  t.equal(code(openCheckpoint(note, { ...verifier, name: 'other.example/log' })), 'UNKNOWN_KEY', 'wrong key name')
  t.equal(code(openCheckpoint(note, { name: ORIGIN, publicKey: stranger.publicKey })), 'UNKNOWN_KEY', 'wrong public key')
  t.equal(code(openCheckpoint(note, verifier, { origin: 'another.log' })), 'ORIGIN_MISMATCH')

  // A second signature by an unknown key (a witness, say) is ignored, before or after ours.
  const witness = signNote(note.split('\n\n')[0] + '\n', stranger).split('\n\n')[1] as string
  const [body, ours] = note.split('\n\n') as [string, string]
  t.equal(code(openCheckpoint(`${body}\n\n${ours}${witness}`, verifier)), 'ok', 'unknown signature after')
  t.equal(code(openCheckpoint(`${body}\n\n${witness}${ours}`, verifier)), 'ok', 'unknown signature before')
  t.equal(code(openCheckpoint(`${body}\n\n${witness}`, verifier)), 'UNKNOWN_KEY', 'only an unknown signature')

  // A signature line with our name and key ID but a bad signature rejects the note.
  const blob = Buffer.from(ours.slice(ours.lastIndexOf(' ') + 1, -1), 'base64')
  blob[10] = (blob[10] as number) ^ 1
  const forged = `\u2014 ${ORIGIN} ${blob.toString('base64')}\n`
  t.equal(code(openCheckpoint(`${body}\n\n${ours}${forged}`, verifier)), 'BAD_SIGNATURE')
  t.equal(code(openCheckpoint(`${body}\n\n${forged}`, verifier)), 'BAD_SIGNATURE')
})

t.test('malformed notes and checkpoints', async (t) => {
  const signed = (text: string) => signNote(text, signer)
  const root = b64(checkpoint.root)
  const code = (text: string) => {
    const r = openCheckpoint(text, verifier)
    return r.ok ? 'ok' : r.code
  }
  t.equal(code(signed(`${ORIGIN}\n1234\n${root}\nextension line\n`)), 'ok', 'extension lines are allowed')
  const cases: Record<string, string> = {
    'no size': signed(`${ORIGIN}\n${root}\n`),
    'leading zero': signed(`${ORIGIN}\n01234\n${root}\n`),
    'negative size': signed(`${ORIGIN}\n-1\n${root}\n`),
    'size over 2^53 - 1': signed(`${ORIGIN}\n9007199254740992\n${root}\n`),
    'size with a plus': signed(`${ORIGIN}\n+12\n${root}\n`),
    'empty origin': signed(`\n1234\n${root}\n`),
    'short root': signed(`${ORIGIN}\n1234\n${b64(new Uint8Array(31))}\n`),
    'unpadded root': signed(`${ORIGIN}\n1234\n${root.replace(/=+$/, '')}\n`),
    'empty extension line': signed(`${ORIGIN}\n1234\n${root}\nx\n\ny\n`),
    'no signature block': `${ORIGIN}\n1234\n${root}\n`,
    'CR LF': note.replaceAll('\n', '\r\n'),
    'hyphen for em dash': note.replace('\u2014', '-'),
    'no final newline': note.slice(0, -1),
    'tab in the body': note.replace('1234', '12\t34'),
    'lone surrogate': note.replace(ORIGIN, ORIGIN + '\ud800')
  }
  for (const [desc, text] of Object.entries(cases)) t.equal(code(text), 'MALFORMED', desc)
  t.equal(code(signed(`${ORIGIN}\n0\n${root}\n`)), 'ok', 'size 0')
  t.equal(code(signed(`${ORIGIN}\n9007199254740991\n${root}\n`)), 'ok', 'size 2^53 - 1')
  t.equal(code('\u2014 '.repeat(200)), 'MALFORMED')
  t.equal(code(`${ORIGIN}\n\n` + `\u2014 x AAAAAAA=\n`.repeat(101)), 'MALFORMED', 'over 100 signatures')
  t.equal(openCheckpoint(Uint8Array.of(0xff, 0x0a, 0x0a), verifier).ok, false, 'invalid UTF-8')
})

t.test('signing checks its input', async (t) => {
  const other = signerFromSeed('other', new Uint8Array(32).fill(8))
  const mismatched: CheckpointSigner = { ...signer, publicKey: other.publicKey }
  t.throws(() => signCheckpoint(checkpoint, mismatched), /not the public key/)
  t.throws(() => signCheckpoint({ ...checkpoint, origin: 'a\nb' }, signer), RangeError)
  t.throws(() => signCheckpoint({ ...checkpoint, origin: '' }, signer), RangeError)
  t.throws(() => signCheckpoint({ ...checkpoint, size: -1 }, signer), RangeError)
  t.throws(() => signCheckpoint({ ...checkpoint, size: 2 ** 53 }, signer), RangeError)
  t.throws(() => signCheckpoint({ ...checkpoint, root: new Uint8Array(31) }, signer), RangeError)
  t.throws(() => signerFromSeed('has space', new Uint8Array(32)), RangeError)
  t.throws(() => signerFromSeed('has+plus', new Uint8Array(32)), RangeError)
  t.throws(() => signerFromSeed('name', new Uint8Array(31)), RangeError)
  t.throws(() => signNote('no newline', signer), RangeError)
  // Ed25519 is deterministic: the same checkpoint gives the same note.
  t.equal(signCheckpoint(checkpoint, signer), note)
  t.ok(sign(null, Buffer.from('x'), signer.privateKey).length === 64)
})

t.test('opening never throws', async (t) => {
  t.equal(openCheckpoint(null as never, verifier).ok, false)
  t.equal(openCheckpoint('x'.repeat(2 ** 21), verifier).ok, false, 'over 1 MiB')
  const [body] = note.split('\n\n') as [string]
  const noteLike = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }).map((s) => `${body}\n\n\u2014 ${s}\n`),
    fc.tuple(fc.nat({ max: note.length }), fc.string({ maxLength: 8 })).map(([i, s]) => note.slice(0, i) + s + note.slice(i)))
  fc.assert(fc.property(noteLike, (text) => {
    const r = openCheckpoint(text, verifier)
    return r.ok ? text === note : typeof r.code === 'string'
  }), { numRuns: 1000 })
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => openCheckpoint(bytes, verifier).ok === false))
  t.pass('random notes')
})
