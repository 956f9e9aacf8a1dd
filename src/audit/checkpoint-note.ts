/**
 * Signed checkpoints: C2SP tlog-checkpoint v1.0.0 (https://c2sp.org/tlog-checkpoint), a signed
 * note (src/crypto/signed-note.ts) whose text is the log's tree head:
 *
 *   <origin>\n<size>\n<base64 root>\n[<extension line>\n…]   the note text (§Note text)
 *
 * signed by the log's Ed25519 key, whose name is the origin (§Signatures). Witnesses add their
 * cosignatures (src/crypto/cosignature.ts) as further signature lines; `openCheckpoint` checks the
 * log's signature, and the cosigners' when it is given their keys. Checkpoints come from outside:
 * `openCheckpoint` never throws.
 */
import {
  type Ed25519Signer, type Ed25519Verifier, type NoteSignature, type NoteVerifier,
  decodeBase64, ed25519NoteSigner, ed25519NoteVerifier, encodeBase64, isNoteText, openNote, signNote
} from '../crypto/signed-note.ts'
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
  /** The note text, final newline included: what the log signed and witnesses cosign. */
  readonly body: string
  /** The log's signature lines that verified. */
  readonly signatures: readonly NoteSignature[]
  /** Cosignatures that verified, by the `cosigners` given to `openCheckpoint`. */
  readonly cosignatures: readonly NoteSignature[]
}

/** The log's checkpoint key: an Ed25519 key named after the origin. */
export type CheckpointSigner = Ed25519Signer
export type CheckpointVerifier = Ed25519Verifier

export type CheckpointErrorCode =
  | 'MALFORMED' // not a signed note, or not a checkpoint
  | 'UNKNOWN_KEY' // no signature by the verifier's key
  | 'BAD_SIGNATURE' // a signature by the verifier's key (or a cosigner's) that does not verify
  | 'ORIGIN_MISMATCH' // signed, but by another log than expected

export type OpenResult =
  | { readonly ok: true, readonly checkpoint: OpenedCheckpoint }
  | { readonly ok: false, readonly code: CheckpointErrorCode, readonly message: string }

const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/
const CODES = { MALFORMED: 'MALFORMED', INVALID_SIGNATURE: 'BAD_SIGNATURE', UNVERIFIED: 'UNKNOWN_KEY' } as const

/** The checkpoint's note text (§Note text): origin, size and base64 root, each on a line. */
export function checkpointBody (checkpoint: Checkpoint): string {
  const { origin, size, root } = checkpoint
  if (typeof origin !== 'string' || origin === '' || origin.includes('\n') || !isNoteText(origin + '\n')) {
    throw new RangeError('origin must be one non-empty line of text')
  }
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be an integer in [0, 2^53 - 1]')
  if (!(root instanceof Uint8Array) || root.length !== HASH_SIZE) {
    throw new RangeError(`root must be ${HASH_SIZE} bytes`)
  }
  return `${origin}\n${size}\n${encodeBase64(root)}\n`
}

/** The signed note of `checkpoint`, signed by `signer`. Throws on an invalid checkpoint or key. */
export function signCheckpoint (checkpoint: Checkpoint, signer: CheckpointSigner): string {
  return signNote(checkpointBody(checkpoint), [ed25519NoteSigner(signer)])
}

/**
 * The checkpoint in `note`, if `verifier`'s key signed it (and, when `expect.origin` is given, if
 * it is that log's); otherwise what is wrong with it. Cosignatures by `expect.cosigners` are
 * verified too (a bad one rejects the note) and returned; other signatures are ignored.
 */
export function openCheckpoint (
  note: string | Uint8Array, verifier: CheckpointVerifier,
  expect: { origin?: string, cosigners?: readonly NoteVerifier[] } = {}
): OpenResult {
  let log: NoteVerifier
  try {
    log = ed25519NoteVerifier(verifier)
  } catch {
    return { ok: false, code: 'UNKNOWN_KEY', message: 'verifier key is not an Ed25519 public key' }
  }
  const opened = openNote(note, [log, ...(expect.cosigners ?? [])])
  if (!opened.ok) {
    return { ok: false, code: CODES[opened.code], message: opened.message }
  }
  const isLog = (s: NoteSignature): boolean => s.name === log.name && Buffer.from(s.keyId).equals(log.keyId)
  const signatures = opened.verified.filter(isLog)
  if (signatures.length === 0) return { ok: false, code: 'UNKNOWN_KEY', message: `no signature by ${verifier.name}` }

  const checkpoint = parseCheckpointBody(opened.text)
  if (checkpoint === null) return { ok: false, code: 'MALFORMED', message: 'body is not a checkpoint' }
  if (expect.origin !== undefined && checkpoint.origin !== expect.origin) {
    return { ok: false, code: 'ORIGIN_MISMATCH', message: 'checkpoint is of another log' }
  }
  return {
    ok: true,
    checkpoint: { ...checkpoint, body: opened.text, signatures, cosignatures: opened.verified.filter((s) => !isLog(s)) }
  }
}

/** The checkpoint in a note text (which ends with a newline), or null (§Note text). */
export function parseCheckpointBody (text: string): (Checkpoint & { extensions: string[] }) | null {
  if (!text.endsWith('\n')) return null
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
