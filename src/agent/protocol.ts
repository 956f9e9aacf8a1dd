/**
 * The lookup exchange between the hub and a department agent (design §14.3), signed both ways
 * with RFC 9421 (src/crypto/http-signature.ts):
 *
 *   POST /v1/lookups   {connector, lookups: [{subject, verification?, caller?, purpose?}]}
 *   200                {connector, snapshot: {id, asOf, keyVersion}, results: [{records, unreadable}]}
 *
 * `subject` is the subject's keyed hash under the connector's key (hex): the agent never sees an
 * ID number. The request covers its method, authority, path, content type and digest, and carries
 * `created`, `expires` (30 s later) and a random `nonce`; the agent refuses a nonce it has seen.
 * The response covers its status, content type and digest, and repeats the request's nonce, so a
 * response cannot be replayed for another request. Each side knows the other's public key only.
 */
import { randomBytes, type KeyObject } from 'node:crypto'
import {
  contentDigest, signMessage, verifyMessage, type HttpMessage, type SignatureParams
} from '../crypto/http-signature.ts'
import type { SigningKey } from './identity.ts'

export const LOOKUP_PATH = '/v1/lookups'
export const MAX_LOOKUPS = 500
/** How long a signed message is good for, and the clock skew tolerated between hub and agent. */
export const SIGNATURE_TTL_SECONDS = 30
export const MAX_SKEW_SECONDS = 30
export const JSON_TYPE = 'application/json'

export const REQUEST_COMPONENTS = ['@method', '@authority', '@path', 'content-type', 'content-digest']
export const RESPONSE_COMPONENTS = ['@status', 'content-type', 'content-digest']

export interface LookupItem { subject: string, verification?: string, caller?: string, purpose?: string }
export interface LookupRequest { connector: string, lookups: LookupItem[] }
export interface LookupResult { records: Array<Record<string, unknown>>, unreadable: boolean }
export interface LookupResponse {
  connector: string
  snapshot: { id: number, asOf: string, keyVersion: number }
  results: LookupResult[]
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/** Signed headers of a lookup request to `url`. */
export function signRequest (url: URL, body: Buffer, key: SigningKey, keyid: string):
{ headers: Record<string, string>, nonce: string } {
  const nonce = randomBytes(16).toString('base64url')
  const created = nowSeconds()
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'content-digest': contentDigest(body) }
  const message: HttpMessage = { method: 'POST', authority: url.host, path: url.pathname, header: (n) => headers[n] }
  const params: SignatureParams = { created, expires: created + SIGNATURE_TTL_SECONDS, nonce, alg: 'ed25519', keyid }
  const signed = signMessage(message, REQUEST_COMPONENTS, params, key.privateKey)
  return { headers: { ...headers, 'signature-input': signed.signatureInput, signature: signed.signature }, nonce }
}

/** Signed headers of the response to the request that carried `nonce`. */
export function signResponse (status: number, body: Buffer, nonce: string, key: SigningKey, keyid: string):
Record<string, string> {
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'content-digest': contentDigest(body) }
  const params: SignatureParams = {
    created: nowSeconds(), expires: nowSeconds() + SIGNATURE_TTL_SECONDS, nonce, alg: 'ed25519', keyid
  }
  const signed = signMessage({ status, header: (n) => headers[n] }, RESPONSE_COMPONENTS, params, key.privateKey)
  return { ...headers, 'signature-input': signed.signatureInput, signature: signed.signature }
}

/**
 * Checks a signed message whose body is `body`: the signature by `publicKey` (keyid `keyid`), its
 * time, and that its Content-Digest is the body's. Returns the nonce, or why it is refused.
 */
export function verifySigned (message: HttpMessage, body: Buffer, publicKey: KeyObject, keyid: string,
  components: readonly string[]): { nonce: string } | { error: string } {
  const result = verifyMessage(message, publicKey, {
    required: components, now: nowSeconds(), maxSkew: MAX_SKEW_SECONDS, maxAge: SIGNATURE_TTL_SECONDS + MAX_SKEW_SECONDS
  })
  if ('error' in result) return result
  if (result.params.keyid !== keyid) return { error: 'signed by another key' }
  if (result.params.nonce === undefined || result.params.expires === undefined) {
    return { error: 'the signature has no nonce or expiry' }
  }
  if (message.header('content-digest') !== contentDigest(body)) return { error: 'the body is not the one signed' }
  return { nonce: result.params.nonce }
}

/** Nonces seen within their signatures' lifetime: a replayed request is refused. */
export class NonceCache {
  readonly #seen = new Map<string, number>()

  /** False when `nonce` was seen; otherwise remembers it until the signature can no longer be accepted. */
  fresh (nonce: string, now = Date.now()): boolean {
    if (this.#seen.size > 10_000) for (const [n, until] of this.#seen) if (until < now) this.#seen.delete(n)
    if (this.#seen.has(nonce)) return false
    this.#seen.set(nonce, now + (SIGNATURE_TTL_SECONDS + 2 * MAX_SKEW_SECONDS) * 1000)
    return true
  }
}

/** Checks the shape of a lookup request body (the agent answers nothing else). */
export function parseLookupRequest (value: unknown): LookupRequest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the body must be an object'
  const v = value as Record<string, unknown>
  if (typeof v.connector !== 'string') return 'connector must be a string'
  if (!Array.isArray(v.lookups) || v.lookups.length === 0 || v.lookups.length > MAX_LOOKUPS) {
    return `lookups must be an array of 1–${MAX_LOOKUPS} items`
  }
  const lookups: LookupItem[] = []
  for (const [i, item] of v.lookups.entries()) {
    const l = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
    if (typeof l.subject !== 'string' || !/^[0-9a-f]{64}$/.test(l.subject)) {
      return `lookups/${i}/subject must be a keyed hash (64 hex digits)`
    }
    const out: LookupItem = { subject: l.subject }
    for (const k of ['verification', 'caller', 'purpose'] as const) {
      const s = l[k]
      if (s === undefined) continue
      if (typeof s !== 'string' || s.length > 200) return `lookups/${i}/${k} must be a string of at most 200 characters`
      out[k] = s
    }
    lookups.push(out)
  }
  return { connector: v.connector, lookups }
}
