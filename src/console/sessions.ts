/**
 * The console's sessions (design §14.4): a random token in an HttpOnly cookie, a row in
 * PostgreSQL (the service is stateless; any process can serve the next request), an idle timeout
 * and an absolute lifetime.
 *
 * The row is found by SHA-256(token) and holds the principal sealed with AES-256-GCM under
 * HKDF-SHA256(token): a citizen's session carries the ID number, and a copy of the table must
 * reveal neither identifiers nor sessions. The CSRF token is HMAC-SHA256(token, …): the page
 * sends it back in a header on every change, and an attacker's page can neither read the cookie
 * nor compute it.
 */
import {
  createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual
} from 'node:crypto'
import type { Executor } from '../db/client.ts'
import type { Principal } from '../principal.ts'

export interface SessionLimits {
  /** A session not used for this long has ended. */
  idleSeconds: number
  /** …and every session ends this long after sign-in, used or not. */
  maxSeconds: number
}

export interface OpenSession {
  principal: Principal
  csrf: string
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/

function tokenBytes (token: string): Buffer {
  return Buffer.from(token, 'base64url')
}

function hashOf (token: string): Buffer {
  return createHash('sha256').update(tokenBytes(token)).digest()
}

function sealKey (token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', tokenBytes(token), 'shifou', 'shifou/v1/console-session', 32))
}

/** The CSRF token of a session: the page sends it in `x-csrf-token` with every change. */
export function csrfOf (token: string): string {
  return createHmac('sha256', tokenBytes(token)).update('shifou/v1/console-csrf').digest('base64url')
}

/** Constant-time comparison of a CSRF header with the session's token. */
export function csrfMatches (token: string, header: unknown): boolean {
  if (typeof header !== 'string') return false
  const want = Buffer.from(csrfOf(token))
  const got = Buffer.from(header)
  return got.length === want.length && timingSafeEqual(got, want)
}

function seal (token: string, principal: Principal): Buffer {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', sealKey(token), iv)
  const body = Buffer.concat([cipher.update(JSON.stringify(principal), 'utf8'), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()])
}

function unseal (token: string, sealed: Uint8Array): Principal | null {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength)
  if (bytes.length < 29) return null
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(token), bytes.subarray(0, 12))
    decipher.setAuthTag(bytes.subarray(bytes.length - 16))
    const text = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()])
    return JSON.parse(text.toString('utf8')) as Principal
  } catch {
    return null
  }
}

export class SessionStore {
  readonly #db: Executor
  readonly #limits: SessionLimits

  constructor (db: Executor, limits: SessionLimits) {
    this.#db = db
    this.#limits = limits
  }

  get limits (): SessionLimits {
    return this.#limits
  }

  /** Starts a session for `principal`; returns the cookie's token and the CSRF token. */
  async create (principal: Principal): Promise<{ token: string, csrf: string }> {
    const token = randomBytes(32).toString('base64url')
    // Ended sessions are removed as new ones start: the table stays as small as the desks using it.
    await this.#db.query(
      `delete from console_sessions where last_seen < clock_timestamp() - make_interval(secs => $1)
          or created_at < clock_timestamp() - make_interval(secs => $2)`,
      [this.#limits.idleSeconds, this.#limits.maxSeconds])
    await this.#db.query('insert into console_sessions (token_hash, principal) values ($1, $2)',
      [hashOf(token), seal(token, principal)])
    return { token, csrf: csrfOf(token) }
  }

  /**
   * The session of a cookie's token, if it has not ended; using it resets its idle time (by the
   * database's clock, which every process shares).
   */
  async open (token: unknown): Promise<OpenSession | null> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null
    const rows = await this.#db.query<{ principal: Uint8Array }>(
      `update console_sessions set last_seen = clock_timestamp()
        where token_hash = $1
          and last_seen >= clock_timestamp() - make_interval(secs => $2)
          and created_at >= clock_timestamp() - make_interval(secs => $3)
        returning principal`,
      [hashOf(token), this.#limits.idleSeconds, this.#limits.maxSeconds])
    const row = rows[0]
    if (row === undefined) return null
    const principal = unseal(token, new Uint8Array(row.principal))
    return principal === null ? null : { principal, csrf: csrfOf(token) }
  }

  /** Ends a session (sign-out). */
  async end (token: unknown): Promise<void> {
    if (typeof token !== 'string' || !TOKEN.test(token)) return
    await this.#db.query('delete from console_sessions where token_hash = $1', [hashOf(token)])
  }
}
