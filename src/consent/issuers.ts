/**
 * The configured consent issuers (SHIFOU_CONSENT_ISSUERS, a JSON file):
 *
 *   { "issuers": [ { "iss": "kiosk.example", "jwks": { "keys": [ { "kid", "alg", …JWK } ] } } ] }
 *
 * Each key is a public JWK (RFC 7517) with a kid and an asymmetric alg, which pins the one
 * algorithm it may be used with (RFC 8725 §3.1), as the identity provider's keys are pinned in
 * src/api/plugins/auth.ts. A file that breaks any rule stops the service at start.
 */
import { readFileSync } from 'node:fs'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import { ALGORITHMS, keyFitsAlgorithm, type JwsAlgorithm, type VerifyKey } from '../crypto/jws.ts'

export interface ConsentIssuer {
  iss: string
  keys: ReadonlyMap<string, VerifyKey>
}

export class ConsentIssuersError extends Error {
  constructor (message: string) {
    super('SHIFOU_CONSENT_ISSUERS: ' + message)
    this.name = 'ConsentIssuersError'
  }
}

/** Validates a parsed issuers document. */
export function parseConsentIssuers (doc: unknown): Map<string, ConsentIssuer> {
  const list = (doc as { issuers?: unknown } | null)?.issuers
  if (!Array.isArray(list)) throw new ConsentIssuersError('expected {"issuers": [...]}')
  const out = new Map<string, ConsentIssuer>()
  for (const item of list as Array<{ iss?: unknown, jwks?: { keys?: unknown } }>) {
    if (typeof item?.iss !== 'string' || !/^[\x21-\x7E]{1,200}$/.test(item.iss)) {
      throw new ConsentIssuersError('every issuer needs an iss of printable ASCII')
    }
    if (out.has(item.iss)) throw new ConsentIssuersError(`issuer ${item.iss} is listed twice`)
    const keys = new Map<string, VerifyKey>()
    const jwks = (Array.isArray(item.jwks?.keys) ? item.jwks.keys : []) as Array<
      JsonWebKey & { kid?: unknown, alg?: unknown, d?: unknown }
    >
    for (const jwk of jwks) {
      if (typeof jwk.kid !== 'string' || jwk.kid === '') {
        throw new ConsentIssuersError(`a key of ${item.iss} has no kid`)
      }
      if (typeof jwk.alg !== 'string' || !(ALGORITHMS as readonly string[]).includes(jwk.alg)) {
        throw new ConsentIssuersError(`key ${jwk.kid} needs an asymmetric alg (${ALGORITHMS.join(', ')})`)
      }
      if (jwk.d !== undefined) {
        throw new ConsentIssuersError(`key ${jwk.kid} is a private key: publish only the public half`)
      }
      let key
      try {
        key = createPublicKey({ key: jwk, format: 'jwk' })
      } catch {
        throw new ConsentIssuersError(`key ${jwk.kid} is not a valid public JWK`)
      }
      const alg = jwk.alg as JwsAlgorithm
      if (!keyFitsAlgorithm(alg, key)) throw new ConsentIssuersError(`key ${jwk.kid} does not fit alg ${alg}`)
      if (keys.has(jwk.kid)) throw new ConsentIssuersError(`kid ${jwk.kid} is listed twice for ${item.iss}`)
      keys.set(jwk.kid, { alg, key })
    }
    if (keys.size === 0) throw new ConsentIssuersError(`issuer ${item.iss} has no keys`)
    out.set(item.iss, { iss: item.iss, keys })
  }
  return out
}

export function loadConsentIssuers (file: string): Map<string, ConsentIssuer> {
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new ConsentIssuersError('cannot read the file as JSON')
  }
  return parseConsentIssuers(doc)
}
