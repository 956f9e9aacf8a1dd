/**
 * JSON Web Signature, compact serialisation (RFC 7515 §7.1), through node:crypto:
 *
 *   BASE64URL(UTF8(header)) '.' BASE64URL(payload) '.' BASE64URL(signature)
 *
 * Signing is EdDSA with Ed25519 only (RFC 8037 §3.1), which is what receipts use. Verification
 * takes one key whose algorithm is pinned by whoever configured it (RFC 8725 §3.1): the header's
 * `alg` must equal the key's, never choose it. Supported: EdDSA (Ed25519), ES256/384/512
 * (RFC 7518 §3.4, signatures as R ‖ S), RS256/384/512 and PS256/384/512 (§3.3, §3.5).
 *
 * Tokens come from outside: nothing here throws on bad input. Base64url must be canonical
 * (no padding, unused bits zero), so that a token has exactly one spelling and any changed
 * character fails; a header with `crit` is refused, as no extension is understood (§4.1.11).
 */
import { constants, sign, verify, type KeyObject } from 'node:crypto'
import { canonicalJson } from './jcs.ts'
import { decodeBase64url, encodeBase64url } from './base64url.ts'

export const ALGORITHMS = [
  'EdDSA', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'
] as const
export type JwsAlgorithm = typeof ALGORITHMS[number]

export interface VerifyKey {
  readonly alg: JwsAlgorithm
  readonly key: KeyObject
}

export interface DecodedJws {
  readonly header: Record<string, unknown>
  readonly payload: Record<string, unknown>
  /** ASCII of header '.' payload: the JWS Signing Input (§5.1 step 8) */
  readonly signingInput: string
  readonly signature: Uint8Array
}

/** Longer tokens are not receipts or consents: refusing them bounds the work of a bad input. */
const MAX_TOKEN_LENGTH = 16 * 1024
const utf8 = new TextDecoder('utf-8', { fatal: true })

function jsonObject (bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes))
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
    return isObject ? value as Record<string, unknown> : null
  } catch {
    return null
  }
}

/** The parts of a compact JWS whose header and payload are JSON objects, or null. Checks no signature. */
export function decodeCompact (token: unknown): DecodedJws | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const [h, p, s] = parts as [string, string, string]
  const headerBytes = decodeBase64url(h)
  const payloadBytes = decodeBase64url(p)
  const signature = decodeBase64url(s)
  if (headerBytes === null || payloadBytes === null || signature === null || signature.length === 0) return null
  const header = jsonObject(headerBytes)
  const payload = jsonObject(payloadBytes)
  if (header === null || payload === null) return null
  if (header.crit !== undefined || typeof header.alg !== 'string') return null
  return { header, payload, signingInput: h + '.' + p, signature }
}

/**
 * Signs a compact JWS with an Ed25519 key (RFC 8037 §3.1; the signature is deterministic,
 * RFC 8032 §5.1.6). Header and payload are serialised as RFC 8785 JSON, so equal inputs give
 * byte-identical tokens.
 */
export function signCompact (
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject
): string {
  const signingInput = ed25519SigningInput(header, payload, privateKey)
  return withSignature(signingInput, sign(null, Buffer.from(signingInput, 'ascii'), privateKey))
}

/**
 * The JWS Signing Input (§5.1 step 8) of an EdDSA JWS, to be signed elsewhere (another thread):
 * `signCompact` is this, the Ed25519 signature of its ASCII bytes, then `withSignature`.
 */
export function ed25519SigningInput (
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKey: KeyObject
): string {
  if (header.alg !== 'EdDSA' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new RangeError('only EdDSA with Ed25519 keys is signed here')
  }
  return encodeBase64url(canonicalJson(header)) + '.' + encodeBase64url(canonicalJson(payload))
}

/** The compact JWS of a signing input and its signature. */
export function withSignature (signingInput: string, signature: Uint8Array): string {
  return signingInput + '.' + encodeBase64url(signature)
}

const DIGEST: Record<Exclude<JwsAlgorithm, 'EdDSA'>, string> = {
  ES256: 'sha256', ES384: 'sha384', ES512: 'sha512',
  RS256: 'sha256', RS384: 'sha384', RS512: 'sha512',
  PS256: 'sha256', PS384: 'sha384', PS512: 'sha512'
}
const EC_CURVE: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' }
const EC_SIGNATURE_LENGTH: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 }

/** Whether `key` is a public key that algorithm `alg` may use (checked when keys are configured). */
export function keyFitsAlgorithm (alg: JwsAlgorithm, key: KeyObject): boolean {
  if (key.type !== 'public') return false
  if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519'
  if (alg.startsWith('ES')) {
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVE[alg]
  }
  // RFC 7518 §3.3: RSA keys of 2048 bits or more.
  return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
}

/** Whether the signature of `jws` verifies with `key`, whose algorithm must be the header's. */
export function verifySignature (jws: DecodedJws, key: VerifyKey): boolean {
  if (jws.header.alg !== key.alg || !keyFitsAlgorithm(key.alg, key.key)) return false
  const data = Buffer.from(jws.signingInput, 'ascii')
  const signature = jws.signature
  try {
    if (key.alg === 'EdDSA') return signature.length === 64 && verify(null, data, key.key, signature)
    const digest = DIGEST[key.alg]
    if (key.alg.startsWith('ES')) {
      // JWS carries R || S (RFC 7518 §3.4), not DER.
      return signature.length === EC_SIGNATURE_LENGTH[key.alg] &&
        verify(digest, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
    }
    if (key.alg.startsWith('PS')) {
      const pss = {
        key: key.key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST
      }
      return verify(digest, data, pss, signature)
    }
    return verify(digest, data, key.key, signature)
  } catch {
    return false
  }
}
