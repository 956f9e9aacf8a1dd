/**
 * Signed checkpoints: C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) in the C2SP
 * signed-note format (https://c2sp.org/signed-note), signed with Ed25519 through node:crypto.
 *
 *   <origin>\n<size>\n<base64 root>\n          the checkpoint body, which is the note text
 *   \n                                         a blank line
 *   — <key name> <base64(key ID ‖ signature)>\n  one line per signature (U+2014 EM DASH)
 *
 * key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4], 0x01 being the Ed25519
 * signature type; the signature is Ed25519 over the note text, final newline included. A
 * verifier key is published as `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
 *
 * Opening a note follows golang.org/x/mod/sumdb/note: signatures by unknown keys are ignored, a
 * bad signature by the known key rejects the note, and at least one valid signature by the known
 * key is required. Checkpoints come from outside: `openCheckpoint` never throws.
 */
import { type KeyObject, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import { sha256 } from '@noble/hashes/sha2.js'
import { HASH_SIZE } from './hasher.ts'

export interface Checkpoint {
  /** The log's identity, e.g. `example.gov.tw/shifou/audit`; non-empty, one line. */
  readonly origin: string
  readonly size: number
  readonly root: Uint8Array
}

export interface OpenedCheckpoint extends Checkpoint {
  /** Body lines after the root (tlog-checkpoint extension lines), signed but not interpreted. */
  readonly extensions: readonly string[]
}

export interface CheckpointSigner {
  readonly name: string
  readonly privateKey: KeyObject
  /** The raw 32-byte Ed25519 public key of `privateKey`. */
  readonly publicKey: Uint8Array
}

export interface CheckpointVerifier {
  readonly name: string
  /** A raw 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
}

export type CheckpointErrorCode =
  | 'MALFORMED' // not a signed note, or not a checkpoint
  | 'UNKNOWN_KEY' // no signature by the verifier's key
  | 'BAD_SIGNATURE' // a signature by the verifier's key that does not verify
  | 'ORIGIN_MISMATCH' // signed, but by another log than expected

export type OpenResult =
  | { readonly ok: true, readonly checkpoint: OpenedCheckpoint }
  | { readonly ok: false, readonly code: CheckpointErrorCode, readonly message: string }

const ED25519_TYPE = 0x01
const KEY_SIZE = 32
const SIG_PREFIX = '\u2014 '
// DER encodings of an Ed25519 key (RFC 8410) up to the 32 raw bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const MAX_NOTE_LENGTH = 1 << 20
const MAX_SIGNATURES = 100 // As golang.org/x/mod/sumdb/note: bounds the work of opening a note.
// eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/ // Control characters other than newline.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The signed note of `checkpoint`, signed by `signer`. Throws on an invalid checkpoint or key. */
export function signCheckpoint (checkpoint: Checkpoint, signer: CheckpointSigner): string {
  const { origin, size, root } = checkpoint
  if (typeof origin !== 'string' || origin === '' || origin.includes('\n') || CONTROL.test(origin) ||
    !isWellFormed(origin)) {
    throw new RangeError('origin must be one non-empty line of text')
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be an integer in [0, 2^53 - 1]')
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) {
    throw new RangeError(`root must be ${HASH_SIZE} bytes`)
  }
  return signNote(`${origin}\n${size}\n${base64(root)}\n`, signer)
}

/**
 * The signed note of `text` (signed-note §Format): text, a blank line, one signature line.
 * Requires text to be non-empty UTF-8 ending with a newline, without other control characters.
 */
export function signNote (text: string, signer: CheckpointSigner): string {
  if (text === '' || !text.endsWith('\n') || CONTROL.test(text) || !isWellFormed(text)) {
    throw new RangeError('note text must be lines of text, each ending with a newline')
  }
  checkKeyName(signer.name)
  if (!rawPublicKey(signer.privateKey).equals(checkPublicKey(signer.publicKey))) {
    throw new RangeError('publicKey is not the public key of privateKey')
  }
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey)
  const blob = Buffer.concat([keyId(signer.name, signer.publicKey), signature])
  return `${text}\n${SIG_PREFIX}${signer.name} ${blob.toString('base64')}\n`
}

/**
 * The checkpoint in `note`, if `verifier`'s key signed it (and, when `expect.origin` is given,
 * if it is that log's); otherwise what is wrong with it.
 */
export function openCheckpoint (
  note: string | Uint8Array, verifier: CheckpointVerifier, expect: { origin?: string } = {}
): OpenResult {
  if (typeof note !== 'string' && !(note instanceof Uint8Array)) return malformed('note is not text')
  if (note.length > MAX_NOTE_LENGTH) return malformed('note is too long')
  let text: string
  try {
    text = typeof note === 'string' ? note : utf8.decode(note)
  } catch {
    return malformed('note is not UTF-8')
  }
  if (!isWellFormed(text)) return malformed('note is not UTF-8')
  if (CONTROL.test(text)) return malformed('note has control characters')
  const split = text.lastIndexOf('\n\n')
  if (split < 0) return malformed('no blank line before the signatures')
  const body = text.slice(0, split + 1)
  const signatures = parseSignatures(text.slice(split + 2))
  if (signatures === null) return malformed('bad signature lines')

  const verified = verifySignatures(body, signatures, verifier)
  if (verified !== true) return verified

  const checkpoint = parseBody(body)
  if (checkpoint === null) return malformed('body is not a checkpoint')
  if (expect.origin !== undefined && checkpoint.origin !== expect.origin) {
    return { ok: false, code: 'ORIGIN_MISMATCH', message: 'checkpoint is of another log' }
  }
  return { ok: true, checkpoint }
}

/** The signed-note verifier key `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`, to publish. */
export function verifierKey (verifier: CheckpointVerifier): string {
  checkKeyName(verifier.name)
  const key = Buffer.concat([Uint8Array.of(ED25519_TYPE), checkPublicKey(verifier.publicKey)])
  const id = Buffer.from(keyId(verifier.name, verifier.publicKey)).toString('hex')
  return `${verifier.name}+${id}+${key.toString('base64')}`
}

/** The verifier of a published verifier key, or null if it is not a valid Ed25519 one. */
export function parseVerifierKey (vkey: string): CheckpointVerifier | null {
  if (typeof vkey !== 'string') return null
  // <name>+<id>+<key>: the name has no '+', the base64 key may have some.
  const first = vkey.indexOf('+')
  const second = vkey.indexOf('+', first + 1)
  if (first < 0 || second < 0) return null
  const name = vkey.slice(0, first)
  const id = vkey.slice(first + 1, second)
  const key = vkey.slice(second + 1)
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(id)) return null
  const bytes = decodeBase64(key)
  if (bytes === null || bytes.length !== 1 + KEY_SIZE || bytes[0] !== ED25519_TYPE) return null
  const publicKey = bytes.subarray(1)
  if (Buffer.from(keyId(name, publicKey)).toString('hex') !== id) return null
  return { name, publicKey }
}

/** The signer of an Ed25519 key given as its raw 32-byte seed (RFC 8032 private key). */
export function signerFromSeed (name: string, seed: Uint8Array): CheckpointSigner {
  checkKeyName(name)
  if (!(seed instanceof Uint8Array) || seed.length !== KEY_SIZE) throw new RangeError(`seed must be ${KEY_SIZE} bytes`)
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  return { name, privateKey, publicKey: new Uint8Array(rawPublicKey(privateKey)) }
}

/** The signed-note key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. */
export function keyId (name: string, publicKey: Uint8Array): Uint8Array {
  return sha256.create()
    .update(Buffer.from(name + '\n', 'utf8'))
    .update(Uint8Array.of(ED25519_TYPE))
    .update(publicKey)
    .digest()
    .subarray(0, 4)
}

interface SignatureLine {
  readonly name: string
  readonly id: Uint8Array
  readonly signature: Uint8Array
}

/** The signature lines, each `— <name> <base64(key ID ‖ signature)>\n`, or null. */
function parseSignatures (block: string): SignatureLine[] | null {
  if (!block.endsWith('\n')) return null
  const lines = block.slice(0, -1).split('\n')
  if (lines.length > MAX_SIGNATURES) return null
  const signatures: SignatureLine[] = []
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX)) return null
    const rest = line.slice(SIG_PREFIX.length)
    const space = rest.indexOf(' ')
    if (space < 0) return null
    const name = rest.slice(0, space)
    const blob = decodeBase64(rest.slice(space + 1))
    if (!isKeyName(name) || blob === null || blob.length < 5) return null
    signatures.push({ name, id: blob.subarray(0, 4), signature: blob.subarray(4) })
  }
  return signatures
}

function verifySignatures (
  text: string, signatures: readonly SignatureLine[], verifier: CheckpointVerifier
): true | OpenResult {
  let id: Uint8Array
  let key: KeyObject
  try {
    id = keyId(verifier.name, verifier.publicKey)
    const spki = Buffer.concat([SPKI_PREFIX, checkPublicKey(verifier.publicKey)])
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' })
  } catch {
    return { ok: false, code: 'UNKNOWN_KEY', message: 'verifier key is not an Ed25519 public key' }
  }
  const message = Buffer.from(text, 'utf8')
  let found = false
  for (const s of signatures) {
    if (s.name !== verifier.name || !Buffer.from(s.id).equals(id)) continue // Another key: ignored.
    if (!verifyEd25519(message, key, s.signature)) {
      return { ok: false, code: 'BAD_SIGNATURE', message: `invalid signature by ${verifier.name}` }
    }
    found = true
  }
  return found || { ok: false, code: 'UNKNOWN_KEY', message: `no signature by ${verifier.name}` }
}

function verifyEd25519 (message: Buffer, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return signature.length === 64 && verify(null, message, key, signature)
  } catch {
    return false
  }
}

/** The checkpoint in a note text (which ends with a newline), or null. */
function parseBody (text: string): OpenedCheckpoint | null {
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) return null
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]]
  if (origin === '' || !DECIMAL.test(sizeLine) || extensions.some((line) => line === '')) return null
  const size = Number(sizeLine)
  if (!Number.isSafeInteger(size)) return null
  const root = decodeBase64(rootLine)
  if (root === null || root.length !== HASH_SIZE) return null
  return { origin, size, root, extensions }
}

/** Bytes of canonical, padded standard base64 (RFC 4648 §4), or null. */
function decodeBase64 (s: string): Uint8Array | null {
  if (!BASE64.test(s)) return null
  const bytes = Buffer.from(s, 'base64')
  // Reject non-zero padding bits: each value has exactly one encoding.
  if (bytes.toString('base64') !== s) return null
  return new Uint8Array(bytes) // A copy: small Buffers are views into a shared pool.
}

function base64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')
}

/** Signed-note key names: non-empty, no Unicode spaces, no '+'. */
function isKeyName (name: string): boolean {
  return name !== '' && !/[\s\u0085+]/u.test(name) && !CONTROL.test(name) && isWellFormed(name)
}

/** Whether `s` has no lone surrogate, so that it has a UTF-8 encoding. */
function isWellFormed (s: string): boolean {
  return Buffer.from(s, 'utf8').toString('utf8') === s
}

function checkKeyName (name: string): void {
  if (typeof name !== 'string' || !isKeyName(name)) {
    throw new RangeError('key name must be non-empty, without spaces or "+"')
  }
}

function checkPublicKey (publicKey: Uint8Array): Buffer {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_SIZE) {
    throw new RangeError(`Ed25519 public key must be ${KEY_SIZE} bytes`)
  }
  return Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length)
}

function rawPublicKey (privateKey: KeyObject): Buffer {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new RangeError('privateKey must be an Ed25519 private key')
  }
  return createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)
}

function malformed (message: string): OpenResult {
  return { ok: false, code: 'MALFORMED', message }
}
