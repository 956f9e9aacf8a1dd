/**
 * Authentication and role checks (design §2, §5 "Tokens"). Tokens are JWTs with pinned
 * algorithms: HS256 with SHIFOU_JWT_SECRET for development, or the keys (and only the algorithms)
 * of the identity provider's JWKS in SHIFOU_JWT_PUBLIC_KEYS. `aud` = shifou, `iss` = the configured
 * issuer, and sub, role, exp, iat are required; exp − iat at most SHIFOU_JWT_MAX_TTL (default 24 h).
 *
 * Default deny: every route declares `config.roles` (or 'public'); a route that declares nothing
 * answers 403 to everyone, and the route-inventory test in test/api/auth.test.ts fails on it.
 */
import { readFileSync } from 'node:fs'
import { createPublicKey, type JsonWebKey } from 'node:crypto'
import fp from 'fastify-plugin'
import jwt, { type TokenOrHeader } from '@fastify/jwt'
import type { Algorithm } from 'fast-jwt'
import type { FastifyRequest } from 'fastify'
import { ShifouError } from '../../errors.ts'
import { ROLES, type Principal, type Role } from '../../principal.ts'
import { normaliseIdNumber, todayCst } from '../../matchers/cn-resident-id.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles that may call the route, or 'public' for the operations endpoints. */
    roles?: readonly Role[] | 'public'
  }
  interface FastifyRequest {
    principal: Principal | null
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Record<string, unknown>
    user: Record<string, unknown>
  }
}

export interface AuthOptions {
  issuer: string
  secret: Uint8Array
  publicKeysFile: string | null
  /** The longest a token may live, exp − iat (SHIFOU_JWT_MAX_TTL). */
  maxTtlSeconds: number
  /** Counted, never logged with content: bad tokens feed the abuse metrics. */
  onUnauthenticated?: () => void
}

const ASYMMETRIC: ReadonlySet<string> = new Set<Algorithm>([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'
])
const SUB = /^[\x21-\x7E]{1,128}$/

interface PublicKeys { algorithms: Algorithm[], byKid: Map<string, string> }

function loadPublicKeys (file: string): PublicKeys {
  const jwks = JSON.parse(readFileSync(file, 'utf8')) as { keys?: Array<JsonWebKey & { kid?: string, alg?: string }> }
  const byKid = new Map<string, string>()
  const algorithms = new Set<Algorithm>()
  for (const jwk of jwks.keys ?? []) {
    // Each key is used with exactly one algorithm (RFC 8725 §3.1), named by the key itself.
    if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string' || !ASYMMETRIC.has(jwk.alg)) {
      throw new Error('SHIFOU_JWT_PUBLIC_KEYS: every key needs a kid and an asymmetric alg')
    }
    byKid.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString())
    algorithms.add(jwk.alg as Algorithm)
  }
  if (byKid.size === 0) throw new Error('SHIFOU_JWT_PUBLIC_KEYS holds no keys')
  return { algorithms: [...algorithms], byKid }
}

const CLOCK_TOLERANCE_MS = 5_000

/**
 * What fast-jwt leaves unchecked (research §2.11): it accepts an `aud` array when any one value
 * matches, and looks at `iat` only when maxAge is set. Here `aud` must be exactly one audience,
 * the string 'shifou', and `iat` a NumericDate that is not in the future.
 */
export function checkRegisteredClaims (claims: Record<string, unknown>, maxTtlSeconds: number, now = Date.now()): void {
  if (claims.aud !== 'shifou') throw new ShifouError('UNAUTHENTICATED', 'The token must have exactly one audience')
  const iat = claims.iat
  if (typeof iat !== 'number' || !Number.isFinite(iat) || iat * 1000 > now + CLOCK_TOLERANCE_MS) {
    throw new ShifouError('UNAUTHENTICATED', 'The token has no valid iat')
  }
  // A token lives at most SHIFOU_JWT_MAX_TTL (design §14.5): a stolen one is worth a day at most,
  // not years. iat is required, so the lifetime is exp − iat (and an iat long past does not help).
  const exp = claims.exp
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new ShifouError('UNAUTHENTICATED', 'The token has no valid exp')
  }
  if (exp - iat > maxTtlSeconds) {
    throw new ShifouError('TOKEN_LIFETIME_TOO_LONG',
      `The token lives longer than this service accepts (exp - iat over ${maxTtlSeconds} s): get a shorter-lived one`)
  }
}

/** Checks the claims the service relies on and builds the principal. */
export function principalOf (claims: Record<string, unknown>): Principal {
  const { sub, role } = claims
  if (typeof sub !== 'string' || !SUB.test(sub)) throw new ShifouError('UNAUTHENTICATED', 'The token has no valid sub')
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    throw new ShifouError('UNAUTHENTICATED', 'The token has no valid role')
  }
  const p: Principal = { sub, role: role as Role }
  if (role === 'dept_admin') {
    if (typeof claims.dept !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(claims.dept)) {
      throw new ShifouError('UNAUTHENTICATED', 'A dept_admin token needs a dept claim')
    }
    p.dept = claims.dept
  }
  if (role === 'subject') {
    const id = normaliseIdNumber(claims.idNumber, todayCst())
    if (!id.ok) throw new ShifouError('UNAUTHENTICATED', 'A subject token needs a valid idNumber claim')
    p.idNumber = id.value
  }
  return p
}

/** Verified tokens kept at most this long, and at most this many. */
const VERIFIED_TTL_MS = 600_000
const VERIFIED_MAX = 1000

/**
 * The claims of tokens already verified, by the token's text, until the token's `exp` (at most
 * 10 minutes). An approval system sends one token for its lifetime: this saves @fastify/jwt's
 * per-request work before its own cache (decoding the token, hashing it for the cache key,
 * resolving options), about 6% of an answer's CPU in the verification benchmark. Only tokens that
 * passed every check are kept; the oldest goes first when full. A cache of verified tokens must
 * not skip a check (research §2.11): shifou keeps no revocation list, a token is kept no longer
 * than its exp, and iat, sub and role are checked on every request, a kept token's too.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, { claims: Record<string, unknown>, until: number }>()

  get (token: string, now = Date.now()): Record<string, unknown> | null {
    const hit = this.#entries.get(token)
    if (hit === undefined) return null
    if (hit.until <= now) {
      this.#entries.delete(token)
      return null
    }
    return hit.claims
  }

  set (token: string, claims: Record<string, unknown>, now = Date.now()): void {
    const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : now
    const until = Math.min(exp, now + VERIFIED_TTL_MS)
    if (until <= now) return
    if (this.#entries.size >= VERIFIED_MAX) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(token, { claims, until })
  }

  get size (): number {
    return this.#entries.size
  }
}

export default fp<AuthOptions>(async (app, opts) => {
  const verify = {
    allowedAud: 'shifou',
    allowedIss: opts.issuer,
    requiredClaims: ['sub', 'role', 'exp', 'iat', 'aud', 'iss'],
    clockTolerance: CLOCK_TOLERANCE_MS,
    // fast-jwt's own cache of verified tokens (until exp, at most 10 minutes, 1,000 tokens), for
    // requests that do not meet the plugin's VerifiedTokens (a token not yet seen, or sent in a
    // form other than "Bearer <token>").
    cache: 1000
  }
  const verified = new VerifiedTokens()
  if (opts.publicKeysFile !== null) {
    const keys = loadPublicKeys(opts.publicKeysFile)
    await app.register(jwt, {
      // Only the key its kid names, with that key's own algorithm (RFC 8725 §3.1).
      secret: async (_request: FastifyRequest, token: TokenOrHeader) => {
        const kid = 'header' in token ? token.header.kid : token.kid
        const key = kid === undefined ? undefined : keys.byKid.get(kid)
        if (key === undefined) throw new Error('unknown key')
        return key
      },
      verify: { ...verify, algorithms: keys.algorithms }
    })
  } else {
    if (opts.secret.length < 32) throw new Error('SHIFOU_JWT_SECRET must be at least 32 bytes')
    await app.register(jwt, {
      secret: Buffer.from(opts.secret),
      sign: { algorithm: 'HS256' },
      verify: { ...verify, algorithms: ['HS256'] }
    })
  }

  app.decorateRequest('principal', null)

  app.addHook('onRequest', async (request) => {
    const roles = request.routeOptions.config.roles
    if (roles === 'public') return
    // Unknown routes: the not-found handler answers (without a principal).
    if (request.is404) return
    if (roles === undefined || roles.length === 0) throw new ShifouError('FORBIDDEN', 'This route serves no role')
    const header = request.headers.authorization
    if (header === undefined && app.hasDecorator('sessionPrincipal')) {
      // The console: the session cookie stands for the signed-in person (plugins/sessions.ts).
      const principal = await app.sessionPrincipal(request)
      if (principal !== null) {
        request.principal = principal
        if (!roles.includes(principal.role)) throw new ShifouError('FORBIDDEN', 'This route does not serve your role')
        return
      }
    }
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : null
    let claims = token === null ? null : verified.get(token)
    const seen = claims !== null
    if (claims === null) {
      try {
        claims = await request.jwtVerify<Record<string, unknown>>()
      } catch {
        opts.onUnauthenticated?.()
        throw new ShifouError('UNAUTHENTICATED', 'A valid bearer token is required')
      }
    }
    // iat, sub and role are checked on every request, a kept token's too.
    checkRegisteredClaims(claims, opts.maxTtlSeconds)
    const principal = principalOf(claims)
    if (!seen && token !== null) verified.set(token, claims)
    request.principal = principal
    if (!roles.includes(principal.role)) throw new ShifouError('FORBIDDEN', 'This route does not serve your role')
    // A caller is a registered client: once deactivated (by an admin, or suspended by a detector)
    // its tokens serve nothing, its entries, proofs and certificates included (design §14.5).
    if (principal.role === 'caller') {
      const client = (await app.registry.current()).clients.get(principal.sub)
      if (client === undefined || !client.active) {
        throw new ShifouError('CLIENT_INACTIVE', 'This client is not registered or not active')
      }
    }
  })
}, { name: 'auth', dependencies: ['registry'] })
