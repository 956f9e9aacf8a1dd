/**
 * Sign-in with OpenID Connect (OpenID Connect Core 1.0 §3.1, the authorization code flow) with
 * PKCE (RFC 7636, S256), for the console (design §14.4).
 *
 * Nothing of a pending sign-in is stored: a random secret `t` goes into a short-lived HttpOnly
 * cookie, and `state`, `nonce` and the PKCE verifier are HMACs of it. The callback recomputes them
 * from the cookie, so a callback that did not start in this browser (login CSRF) or whose code was
 * taken elsewhere (no verifier) fails.
 *
 * The ID token is checked as Core §3.1.3.7 says: its signature by a key of the provider's JWKS
 * (asymmetric algorithms only, the key's own `alg` when it names one), `iss` the configured issuer,
 * `aud` the client id (and `azp` when there are several audiences), `exp`, `iat` and `nonce`.
 */
import {
  constants, createHash, createHmac, createPublicKey, randomBytes, timingSafeEqual, verify, type KeyObject
} from 'node:crypto'
import { normaliseIdNumber, todayCst } from '../matchers/cn-resident-id.ts'
import type { Principal } from '../principal.ts'
import type { OidcConfig } from './config.ts'

interface Discovery {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  jwks_uri: string
}

interface SigningKey { key: KeyObject, alg: string | undefined }
type Jwk = Record<string, unknown> & { kid?: string, alg?: string, use?: string }

const SKEW_S = 60
const ALGORITHMS = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])

const b64url = (b: Buffer): string => b.toString('base64url')
const derive = (t: string, what: string): string => b64url(createHmac('sha256', Buffer.from(t, 'base64url'))
  .update('shifou/v1/oidc/' + what).digest())

function equal (a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Why a sign-in failed; the console shows the message (no token, code or claim value in it). */
export class SignInError extends Error {}

export class OidcClient {
  readonly #config: OidcConfig
  #discovery: Promise<Discovery> | null = null
  #keys: Map<string, SigningKey> | null = null

  constructor (config: OidcConfig) {
    this.#config = config
  }

  async #discover (): Promise<Discovery> {
    if (this.#discovery === null) {
      this.#discovery = (async () => {
        const url = this.#config.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration'
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) })
        if (!res.ok) throw new SignInError('The identity provider\'s discovery document could not be read')
        const d = await res.json() as Discovery
        if (d.issuer !== this.#config.issuer) throw new SignInError('The identity provider names another issuer')
        return d
      })()
      // A failed discovery is tried again at the next sign-in.
      this.#discovery.catch(() => { this.#discovery = null })
    }
    return await this.#discovery
  }

  /** A new sign-in: the cookie's secret and the provider's authorization URL. */
  async start (): Promise<{ secret: string, url: string }> {
    const d = await this.#discover()
    const secret = b64url(randomBytes(32))
    const verifier = derive(secret, 'pkce')
    const url = new URL(d.authorization_endpoint)
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.#config.clientId,
      redirect_uri: this.#config.redirectUri,
      scope: this.#config.scopes,
      state: derive(secret, 'state'),
      nonce: derive(secret, 'nonce'),
      code_challenge: b64url(createHash('sha256').update(verifier).digest()),
      code_challenge_method: 'S256'
    }).toString()
    return { secret, url: url.toString() }
  }

  /** The callback: checks state, exchanges the code, checks the ID token, maps its claims to a principal. */
  async finish (query: Record<string, string | undefined>, secret: string | undefined): Promise<Principal> {
    if (secret === undefined || !/^[A-Za-z0-9_-]{43}$/.test(secret)) {
      throw new SignInError('This sign-in did not start in this browser, or took longer than 10 minutes')
    }
    if (query.error !== undefined) throw new SignInError('The identity provider refused the sign-in')
    if (query.state === undefined || !equal(query.state, derive(secret, 'state'))) {
      throw new SignInError('The sign-in\'s state does not match')
    }
    if (query.code === undefined) throw new SignInError('The identity provider sent no code')
    const d = await this.#discover()
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded', accept: 'application/json'
    }
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: query.code,
      redirect_uri: this.#config.redirectUri,
      code_verifier: derive(secret, 'pkce')
    })
    if (this.#config.clientSecret === null) form.set('client_id', this.#config.clientId)
    else {
      const user = encodeURIComponent(this.#config.clientId)
      const pass = encodeURIComponent(this.#config.clientSecret)
      headers.authorization = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64')
    }
    const res = await fetch(d.token_endpoint,
      { method: 'POST', headers, body: form, signal: AbortSignal.timeout(5000) })
    const body = await res.json().catch(() => null) as { id_token?: unknown } | null
    if (!res.ok || typeof body?.id_token !== 'string') throw new SignInError('The identity provider gave no ID token')
    const claims = await this.#checkIdToken(d, body.id_token, derive(secret, 'nonce'))
    return principalFromClaims(this.#config, claims)
  }

  async #key (d: Discovery, kid: string | undefined, refresh: boolean): Promise<SigningKey | undefined> {
    if (this.#keys === null || refresh) {
      const res = await fetch(d.jwks_uri, { signal: AbortSignal.timeout(5000) })
      const jwks = await res.json() as { keys?: Jwk[] }
      const keys = new Map<string, SigningKey>()
      for (const jwk of jwks.keys ?? []) {
        if (jwk.use !== undefined && jwk.use !== 'sig') continue
        try {
          keys.set(jwk.kid ?? '', { key: createPublicKey({ key: jwk as never, format: 'jwk' }), alg: jwk.alg })
        } catch {}
      }
      this.#keys = keys
    }
    return kid === undefined && this.#keys.size === 1 ? [...this.#keys.values()][0] : this.#keys.get(kid ?? '')
  }

  async #checkIdToken (d: Discovery, token: string, nonce: string): Promise<Record<string, unknown>> {
    const parts = token.split('.')
    if (parts.length !== 3) throw new SignInError('The ID token is malformed')
    let header: { alg?: string, kid?: string }
    let claims: Record<string, unknown>
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'))
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    } catch {
      throw new SignInError('The ID token is malformed')
    }
    const alg = header.alg
    if (typeof alg !== 'string' || !ALGORITHMS.has(alg)) {
      throw new SignInError('The ID token\'s algorithm is not accepted')
    }
    const key = await this.#key(d, header.kid, false) ?? await this.#key(d, header.kid, true)
    if (key === undefined) throw new SignInError('The ID token is signed by a key the provider does not publish')
    if (key.alg !== undefined && key.alg !== alg) throw new SignInError('The ID token\'s algorithm is not its key\'s')
    if (!verifySignature(alg, key.key, Buffer.from(`${parts[0]}.${parts[1]}`), Buffer.from(parts[2]!, 'base64url'))) {
      throw new SignInError('The ID token\'s signature is not valid')
    }
    const now = Date.now() / 1000
    const aud = claims.aud
    const audiences = Array.isArray(aud) ? aud : [aud]
    if (claims.iss !== this.#config.issuer) throw new SignInError('The ID token is from another issuer')
    if (!audiences.includes(this.#config.clientId)) throw new SignInError('The ID token is for another client')
    if (audiences.length > 1 && claims.azp !== this.#config.clientId) {
      throw new SignInError('The ID token is for another client')
    }
    if (typeof claims.exp !== 'number' || claims.exp < now - SKEW_S) throw new SignInError('The ID token has expired')
    if (typeof claims.iat !== 'number' || claims.iat > now + SKEW_S) {
      throw new SignInError('The ID token is not yet valid')
    }
    if (typeof claims.nonce !== 'string' || !equal(claims.nonce, nonce)) {
      throw new SignInError('The ID token\'s nonce does not match')
    }
    return claims
  }
}

function verifySignature (alg: string, key: KeyObject, data: Buffer, sig: Buffer): boolean {
  const bits = alg.slice(2)
  const hash = 'sha' + bits
  try {
    if (alg === 'EdDSA') return verify(null, data, key, sig)
    if (alg.startsWith('RS')) return verify(hash, data, key, sig)
    if (alg.startsWith('PS')) {
      return verify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 }, sig)
    }
    return verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig)
  } catch {
    return false
  }
}

/**
 * The principal an ID token's claims stand for (docs/console.md, "Roles from the identity
 * provider"): exactly one role from the role claim through the role map, then the claims every
 * token of that role needs (a department, an ID number), checked as for API tokens.
 */
export function principalFromClaims (config: OidcConfig, claims: Record<string, unknown>): Principal {
  const raw = claims[config.roleClaim]
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  const roles = new Set(values.filter((v): v is string => typeof v === 'string')
    .map((v) => config.roleMap.get(v)).filter((r) => r !== undefined))
  if (roles.size === 0) throw new SignInError('Your account has no role in shifou: ask the platform operator for one')
  if (roles.size > 1) {
    throw new SignInError('Your account has several roles in shifou; sign in with an account that has one role')
  }
  const role = [...roles][0]!
  const sub = claims.sub
  if (typeof sub !== 'string' || !/^[\x21-\x7E]{1,128}$/.test(sub)) {
    throw new SignInError('The ID token has no valid sub')
  }
  const p: Principal = { sub, role }
  if (role === 'dept_admin') {
    const dept = claims[config.deptClaim]
    if (typeof dept !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(dept)) {
      throw new SignInError('A department admin\'s account needs its department')
    }
    p.dept = dept
  }
  if (role === 'subject') {
    const id = normaliseIdNumber(claims[config.idNumberClaim], todayCst())
    if (!id.ok) throw new SignInError('A citizen\'s account needs a valid resident ID number')
    p.idNumber = id.value
  }
  return p
}
