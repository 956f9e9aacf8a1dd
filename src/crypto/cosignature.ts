/**
 * C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), the Ed25519 `cosignature/v1` type: a
 * witness's statement that, as of a time, the checkpoint it signs is the largest consistent tree
 * head it has observed for that log. A cosignature is a signed-note signature line (§Format):
 *
 *   key ID    = SHA-256(<name> ‖ "\n" ‖ 0x04 ‖ 32-byte Ed25519 public key)[:4]
 *   signature = timestamped_signature { u64 timestamp (big-endian); opaque ed25519_signature[64] }
 *   message   = "cosignature/v1\n" ‖ "time <timestamp>\n" ‖ the checkpoint's note text
 *               (§Ed25519 signed message; extension lines included, signature lines not)
 *
 * The timestamp is POSIX seconds, at most 2^63 − 1; witnesses never send 0 (tlog-witness).
 */
import type { KeyObject } from 'node:crypto'
import { sign } from 'node:crypto'
import {
  type Ed25519Signer, type Ed25519Verifier, type NoteSignature, type NoteSigner, type NoteVerifier,
  ED25519_KEY_SIZE, ED25519_SIGNATURE_SIZE, SIGNATURE_TYPE_COSIGNATURE_V1,
  ed25519PublicKey, keyId, parseVerifierKey, rawPublicKey, verifierKey, verifyEd25519
} from './signed-note.ts'

const TIMESTAMP_SIZE = 8
const MAX_TIMESTAMP = 2n ** 63n - 1n

/** The signed message (§Ed25519 signed message): two header lines, then the checkpoint's note text. */
export function cosignatureV1Message (timestamp: bigint, body: Uint8Array): Uint8Array {
  if (timestamp < 0n || timestamp > MAX_TIMESTAMP) throw new RangeError('timestamp must be in [0, 2^63 - 1]')
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${timestamp}\n`, 'ascii'), body])
}

/**
 * A note signer that cosigns checkpoints with `key` at the time `now()` gives (milliseconds, as
 * Date.now), truncated to seconds.
 */
export function cosignatureV1Signer (key: Ed25519Signer, now: () => number = Date.now): NoteSigner {
  if (!rawPublicKey(key.privateKey).equals(Buffer.from(key.publicKey))) {
    throw new RangeError('publicKey is not the public key of privateKey')
  }
  const id = keyId(key.name, SIGNATURE_TYPE_COSIGNATURE_V1, key.publicKey)
  return {
    name: key.name,
    keyId: id,
    sign: (body) => {
      const timestamp = BigInt(Math.floor(now() / 1000))
      if (timestamp <= 0n) throw new RangeError('the clock is before 1970: a cosignature needs a timestamp')
      return timestampedSignature(timestamp, sign(null, cosignatureV1Message(timestamp, body), key.privateKey))
    }
  }
}

/** A note verifier of `cosignature/v1` signatures by `key`. Throws on a malformed key. */
export function cosignatureV1Verifier (key: Ed25519Verifier): NoteVerifier {
  const publicKey: KeyObject = ed25519PublicKey(key.publicKey)
  return {
    name: key.name,
    keyId: keyId(key.name, SIGNATURE_TYPE_COSIGNATURE_V1, key.publicKey),
    verify: (body, signature) => {
      if (signature.length !== TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE) return false
      const timestamp = Buffer.from(signature).readBigUInt64BE(0)
      if (timestamp > MAX_TIMESTAMP) return false
      return verifyEd25519(publicKey, cosignatureV1Message(timestamp, body), signature.subarray(TIMESTAMP_SIZE))
    }
  }
}

/** The cosigner's verifier key, signature type 0x04 (§Format: "MAY be encoded as vkeys"). */
export function cosignatureV1VerifierKey (key: Ed25519Verifier): string {
  return verifierKey(key.name, SIGNATURE_TYPE_COSIGNATURE_V1, key.publicKey)
}

/** The cosigner of a verifier key of type 0x04, or null. */
export function parseCosignatureV1VerifierKey (vkey: string): Ed25519Verifier | null {
  const parsed = parseVerifierKey(vkey)
  if (parsed === null || parsed.type !== SIGNATURE_TYPE_COSIGNATURE_V1) return null
  if (parsed.publicKey.length !== ED25519_KEY_SIZE) return null
  return { name: parsed.name, publicKey: parsed.publicKey }
}

/** The time a cosignature was made (POSIX seconds), from its timestamped_signature; null if malformed. */
export function cosignatureTimestamp (s: Pick<NoteSignature, 'signature'>): number | null {
  if (s.signature.length !== TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE) return null
  const timestamp = Buffer.from(s.signature).readBigUInt64BE(0)
  return timestamp > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(timestamp)
}

/** timestamped_signature: the u64 timestamp, big-endian, then the Ed25519 signature (RFC 8446 §3.3). */
function timestampedSignature (timestamp: bigint, signature: Uint8Array): Uint8Array {
  const out = Buffer.alloc(TIMESTAMP_SIZE + signature.length)
  out.writeBigUInt64BE(timestamp, 0)
  out.set(signature, TIMESTAMP_SIZE)
  return new Uint8Array(out)
}
