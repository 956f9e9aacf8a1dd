/**
 * Receipt verification keys as JSON Web Keys (RFC 7517) of type OKP, curve Ed25519 (RFC 8037 §2),
 * published as a JWK Set at /.well-known/jwks.json.
 *
 * kid = base64url(SHA-256(raw 32-byte public key)[0:16]): derived from the key itself, so a kid
 * names exactly one key (not the RFC 7638 thumbprint, which hashes the JSON members instead; both
 * are stable, this one is simpler to recompute by hand). A verifier ignores a published key whose
 * kid is not its own.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.ts'

export interface ReceiptJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  /** the raw public key, base64url */
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

export interface Jwks { keys: ReceiptJwk[] }

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** The raw 32-byte Ed25519 public key of a public or private key object. */
export function rawPublicKey (key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  if (pub.asymmetricKeyType !== 'ed25519') throw new RangeError('not an Ed25519 key')
  return new Uint8Array(pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length))
}

export function kidOf (raw: Uint8Array): string {
  return encodeBase64url(createHash('sha256').update(raw).digest().subarray(0, 16))
}

export function publicJwk (key: KeyObject): ReceiptJwk {
  const raw = rawPublicKey(key)
  return { kty: 'OKP', crv: 'Ed25519', x: encodeBase64url(raw), kid: kidOf(raw), alg: 'EdDSA', use: 'sig' }
}

/**
 * The Ed25519 verification keys of a JWK Set, by kid. Keys of other types or algorithms, and keys
 * whose kid is not derived from their x, are skipped; a JWK Set that is not one yields none.
 */
export function receiptKeys (jwks: unknown): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>()
  const keys = (jwks as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) return out
  for (const k of keys as Array<Record<string, unknown>>) {
    if (k === null || typeof k !== 'object') continue
    if (k.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string' || typeof k.kid !== 'string') continue
    if (k.alg !== undefined && k.alg !== 'EdDSA') continue
    if (k.use !== undefined && k.use !== 'sig') continue
    const raw = decodeBase64url(k.x)
    if (raw === null || raw.length !== 32 || kidOf(raw) !== k.kid) continue
    out.set(k.kid, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }))
  }
  return out
}
