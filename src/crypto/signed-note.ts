/**
 * C2SP signed-note v1.0.0 (https://c2sp.org/signed-note): text signed by one or more keys.
 *
 *   <text, lines each ending in \n>          the note text, final newline included (§Format)
 *   \n                                       a blank line
 *   — <key name> <base64(key ID ‖ sig)>\n    one line per signature (U+2014 EM DASH, §Signatures)
 *
 * key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4] (§Signatures), so a name and
 * ID identify both the key and its algorithm. Verifier keys (§Verifier keys) are
 * `<name>+<hex key ID>+<base64(signature type ‖ public key)>`.
 *
 * This file holds the format and Ed25519 (type 0x01, §Ed25519 signatures). Other signature types
 * plug in through `NoteSigner` / `NoteVerifier`, the shape of golang.org/x/mod/sumdb/note's Signer
 * and Verifier: cosignatures (type 0x04, c2sp.org/tlog-cosignature) are in ./cosignature.ts.
 *
 * `openNote` follows §Signatures and note.Open: signatures by unknown keys (name or ID differ) are
 * ignored, a signature by a known key that fails rejects the whole note, at least one signature by
 * a known key must verify. It never throws: notes come from outside.
 */
import { type KeyObject, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'

/** Signature type identifier bytes (§Signature types). */
export const SIGNATURE_TYPE_ED25519 = 0x01
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04

export const ED25519_KEY_SIZE = 32
export const ED25519_SIGNATURE_SIZE = 64

/** Signs note texts with one key (golang.org/x/mod/sumdb/note.Signer). */
export interface NoteSigner {
  readonly name: string
  /** The 4-byte key ID. */
  readonly keyId: Uint8Array
  sign (text: Uint8Array): Uint8Array
}

/** Verifies one key's signatures of note texts (golang.org/x/mod/sumdb/note.Verifier). */
export interface NoteVerifier {
  readonly name: string
  readonly keyId: Uint8Array
  verify (text: Uint8Array, signature: Uint8Array): boolean
}

/** An Ed25519 key for notes: the raw public key is kept for verifier keys and key IDs. */
export interface Ed25519Signer {
  readonly name: string
  readonly privateKey: KeyObject
  /** The raw 32-byte Ed25519 public key of `privateKey`. */
  readonly publicKey: Uint8Array
}

export interface Ed25519Verifier {
  readonly name: string
  /** A raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
}

/** One signature line, parsed: `— <name> <base64(keyId ‖ signature)>`. */
export interface NoteSignature {
  readonly name: string
  readonly keyId: Uint8Array
  readonly signature: Uint8Array
  /** The line as it stands, without its newline. */
  readonly line: string
}

export type NoteErrorCode =
  | 'MALFORMED' // not a signed note
  | 'UNVERIFIED' // no signature by a known key (note.UnverifiedNoteError)
  | 'INVALID_SIGNATURE' // a signature by a known key that does not verify (note.InvalidSignatureError)

export type OpenNoteResult =
  | {
    readonly ok: true
    /** The note text, final newline included. */
    readonly text: string
    /** Signatures by known keys, all verified, in note order. */
    readonly verified: readonly NoteSignature[]
    /** Signatures by unknown keys, not checked. */
    readonly unverified: readonly NoteSignature[]
  }
  | { readonly ok: false, readonly code: NoteErrorCode, readonly message: string }

const SIG_PREFIX = '\u2014 '
// DER encodings of an Ed25519 key (RFC 8410) up to the 32 raw bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const MAX_NOTE_LENGTH = 1 << 20
// As golang.org/x/mod/sumdb/note: bounds the work of opening a note (the spec asks for ≥ 16).
const MAX_SIGNATURES = 100
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/ // Control characters other than newline.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** key ID = SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key)[:4] (§Signatures). */
export function keyId (name: string, type: number, publicKey: Uint8Array): Uint8Array {
  return sha256.create()
    .update(Buffer.from(name + '\n', 'utf8'))
    .update(Uint8Array.of(type))
    .update(publicKey)
    .digest()
    .subarray(0, 4)
}

/** Key names: non-empty, no Unicode spaces, no '+' (§Format). */
export function isKeyName (name: string): boolean {
  return typeof name === 'string' && name !== '' && !/[\s\u0085+]/u.test(name) && !CONTROL.test(name) &&
    isWellFormed(name)
}

/** Whether `text` may be a note text: lines of UTF-8 each ending in a newline, no other control characters. */
export function isNoteText (text: string): boolean {
  return typeof text === 'string' && text !== '' && text.endsWith('\n') && !CONTROL.test(text) && isWellFormed(text)
}

/** `— <name> <base64(keyId ‖ signature)>`, the signature line (without its newline). */
export function signatureLine (name: string, id: Uint8Array, signature: Uint8Array): string {
  return `${SIG_PREFIX}${name} ${Buffer.concat([id, signature]).toString('base64')}`
}

/** The signed note of `text` (§Format): the text, a blank line, one line per signer. */
export function signNote (text: string, signers: readonly NoteSigner[]): string {
  if (!isNoteText(text)) throw new RangeError('note text must be lines of text, each ending with a newline')
  if (signers.length === 0) throw new RangeError('a note needs at least one signature')
  const message = Buffer.from(text, 'utf8')
  const lines = signers.map((s) => {
    checkKeyName(s.name)
    return signatureLine(s.name, s.keyId, s.sign(message)) + '\n'
  })
  return `${text}\n${lines.join('')}`
}

/**
 * Splits a signed note into its text and parsed signature lines (§Format: the text ends at the last
 * blank line), or says why it is not one. Checks no signature.
 */
export function parseNote (note: string | Uint8Array): { text: string, signatures: NoteSignature[] } | string {
  if (typeof note !== 'string' && !(note instanceof Uint8Array)) return 'note is not text'
  if (note.length > MAX_NOTE_LENGTH) return 'note is too long'
  let all: string
  try {
    all = typeof note === 'string' ? note : utf8.decode(note)
  } catch {
    return 'note is not UTF-8'
  }
  if (!isWellFormed(all)) return 'note is not UTF-8'
  if (CONTROL.test(all)) return 'note has control characters'
  const split = all.lastIndexOf('\n\n')
  if (split < 0) return 'no blank line before the signatures'
  const signatures = parseSignatureLines(all.slice(split + 2))
  if (typeof signatures === 'string') return signatures
  return { text: all.slice(0, split + 1), signatures }
}

/** Signature lines, each `— <name> <base64>\n`, as a witness returns them; or why not. */
export function parseSignatureLines (block: string): NoteSignature[] | string {
  if (block === '' || !block.endsWith('\n')) return 'signature lines must each end with a newline'
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > MAX_SIGNATURES) return `more than ${MAX_SIGNATURES} signatures`
  const signatures: NoteSignature[] = []
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) return 'a signature line does not start with an em dash and a space'
    const rest = line.slice(SIG_PREFIX.length)
    const space = rest.indexOf(' ')
    if (space < 0) return 'a signature line has no signature'
    const name = rest.slice(0, space)
    const blob = decodeBase64(rest.slice(space + 1))
    if (!isKeyName(name) || blob === null || blob.length < 5) return 'a signature line is malformed'
    signatures.push({ name, keyId: blob.subarray(0, 4), signature: blob.subarray(4), line })
  }
  return signatures
}

/** Opens a signed note with the keys the reader trusts (§Signatures; note.Open). Never throws. */
export function openNote (note: string | Uint8Array, known: readonly NoteVerifier[]): OpenNoteResult {
  const parsed = parseNote(note)
  if (typeof parsed === 'string') return { ok: false, code: 'MALFORMED', message: parsed }
  const message = Buffer.from(parsed.text, 'utf8')
  const verified: NoteSignature[] = []
  const unverified: NoteSignature[] = []
  for (const s of parsed.signatures) {
    const v = known.find((k) => k.name === s.name && equalBytes(k.keyId, s.keyId))
    if (v === undefined) {
      unverified.push(s)
      continue
    }
    let ok: boolean
    try {
      ok = v.verify(message, s.signature)
    } catch {
      ok = false
    }
    if (!ok) return { ok: false, code: 'INVALID_SIGNATURE', message: `invalid signature by ${s.name}` }
    verified.push(s)
  }
  if (verified.length === 0) {
    const names = [...new Set(known.map((k) => k.name))].join(', ')
    return { ok: false, code: 'UNVERIFIED', message: `no signature by ${names === '' ? 'a known key' : names}` }
  }
  return { ok: true, text: parsed.text, verified, unverified }
}

/** The verifier key `<name>+<hex key ID>+<base64(type ‖ public key)>` (§Verifier keys). */
export function verifierKey (name: string, type: number, publicKey: Uint8Array): string {
  checkKeyName(name)
  const key = Buffer.concat([Uint8Array.of(type), publicKey])
  return `${name}+${Buffer.from(keyId(name, type, publicKey)).toString('hex')}+${key.toString('base64')}`
}

export interface VerifierKeyParts { name: string, type: number, keyId: Uint8Array, publicKey: Uint8Array }

/** A verifier key's parts, if it is well-formed and its key ID is the one its name and key give; else null. */
export function parseVerifierKey (vkey: string): VerifierKeyParts | null {
  if (typeof vkey !== 'string') return null
  // <name>+<id>+<key>: the name has no '+', the base64 key may have some.
  const first = vkey.indexOf('+')
  const second = vkey.indexOf('+', first + 1)
  if (first < 0 || second < 0) return null
  const name = vkey.slice(0, first)
  const id = vkey.slice(first + 1, second)
  const bytes = decodeBase64(vkey.slice(second + 1))
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(id) || bytes === null || bytes.length < 2) return null
  const type = bytes[0]!
  const publicKey = bytes.subarray(1)
  if (Buffer.from(keyId(name, type, publicKey)).toString('hex') !== id) return null
  return { name, type, keyId: Buffer.from(id, 'hex'), publicKey }
}

// --- Ed25519 (§Ed25519 signatures): RFC 8032 over the note text, signature type 0x01 ---

/** The Ed25519 key of a raw 32-byte seed (the RFC 8032 private key), named for notes. */
export function ed25519SignerFromSeed (name: string, seed: Uint8Array): Ed25519Signer {
  checkKeyName(name)
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_KEY_SIZE) {
    throw new RangeError(`seed must be ${ED25519_KEY_SIZE} bytes`)
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  return { name, privateKey, publicKey: new Uint8Array(rawPublicKey(privateKey)) }
}

/** A note signer of type 0x01 for an Ed25519 key. */
export function ed25519NoteSigner (key: Ed25519Signer): NoteSigner {
  checkKeyName(key.name)
  if (!rawPublicKey(key.privateKey).equals(checkPublicKey(key.publicKey))) {
    throw new RangeError('publicKey is not the public key of privateKey')
  }
  return {
    name: key.name,
    keyId: keyId(key.name, SIGNATURE_TYPE_ED25519, key.publicKey),
    sign: (text) => new Uint8Array(sign(null, text, key.privateKey))
  }
}

/** A note verifier of type 0x01 for an Ed25519 public key. Throws on a malformed key. */
export function ed25519NoteVerifier (key: Ed25519Verifier): NoteVerifier {
  checkKeyName(key.name)
  const publicKey = ed25519PublicKey(key.publicKey)
  return {
    name: key.name,
    keyId: keyId(key.name, SIGNATURE_TYPE_ED25519, key.publicKey),
    verify: (text, signature) => verifyEd25519(publicKey, text, signature)
  }
}

/** The Ed25519 verifier key (type 0x01) to publish. */
export function ed25519VerifierKey (key: Ed25519Verifier): string {
  return verifierKey(key.name, SIGNATURE_TYPE_ED25519, checkPublicKey(key.publicKey))
}

/** The Ed25519 key of a verifier key of type 0x01, or null. */
export function parseEd25519VerifierKey (vkey: string): Ed25519Verifier | null {
  const parsed = parseVerifierKey(vkey)
  if (parsed === null || parsed.type !== SIGNATURE_TYPE_ED25519) return null
  if (parsed.publicKey.length !== ED25519_KEY_SIZE) return null
  return { name: parsed.name, publicKey: parsed.publicKey }
}

/** A node:crypto public key of a raw 32-byte Ed25519 key. */
export function ed25519PublicKey (raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, checkPublicKey(raw)]), format: 'der', type: 'spki' })
}

/** Ed25519 verification that answers false, never throws, on a malformed signature. */
export function verifyEd25519 (publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return signature.length === ED25519_SIGNATURE_SIZE && verify(null, message, publicKey, signature)
  } catch {
    return false
  }
}

/** The raw 32-byte public key of an Ed25519 private key. */
export function rawPublicKey (privateKey: KeyObject): Buffer {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new RangeError('privateKey must be an Ed25519 private key')
  }
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)
}

/** Bytes of canonical, padded standard base64 (RFC 4648 §4), or null. */
export function decodeBase64 (s: string): Uint8Array | null {
  if (typeof s !== 'string' || !BASE64.test(s)) return null
  const bytes = Buffer.from(s, 'base64')
  // Reject non-zero padding bits: each value has exactly one encoding.
  if (bytes.toString('base64') !== s) return null
  return new Uint8Array(bytes) // A copy: small Buffers are views into a shared pool.
}

export function encodeBase64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')
}

/** Whether `s` has no lone surrogate, so that it has a UTF-8 encoding. */
function isWellFormed (s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s
}

function checkKeyName (name: string): void {
  if (!isKeyName(name)) throw new RangeError('key name must be non-empty, without spaces or "+"')
}

function checkPublicKey (publicKey: Uint8Array): Buffer {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_SIZE) {
    throw new RangeError(`Ed25519 public key must be ${ED25519_KEY_SIZE} bytes`)
  }
  return Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length)
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
