/**
 * The console's sessions (design §14.4): the cookie, and the principal a session stands for.
 * Registered before `auth`, which asks `app.sessionPrincipal` for requests that carry the session
 * cookie and no bearer token, so the console's pages use the API's own routes as the signed-in
 * person.
 *
 * The cookie is HttpOnly, Secure and SameSite=Strict, with no expiry (it ends with the browser; the
 * server ends it after the idle timeout). A change (any method but GET and HEAD) made with the
 * cookie must carry the session's CSRF token in `x-csrf-token`: a page of another site can neither
 * read it nor send that header without a CORS preflight that shifou never grants.
 */
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ShifouError } from '../../errors.ts'
import type { Principal } from '../../principal.ts'
import { csrfMatches, SessionStore, type OpenSession } from '../../console/sessions.ts'
import { CONSOLE_DEFAULTS, type ConsoleConfig } from '../../console/config.ts'

export const SESSION_COOKIE = 'shifou_session'
const SAFE = new Set(['GET', 'HEAD'])

declare module 'fastify' {
  interface FastifyInstance {
    consoleSessions: SessionStore
    consoleConfig: ConsoleConfig
    /**
     * The principal of the request's session cookie, or null when it carries none; refuses an
     * ended session (401 SESSION_EXPIRED) and a change without the CSRF token (403 CSRF_TOKEN_INVALID).
     */
    sessionPrincipal: (request: FastifyRequest) => Promise<Principal | null>
    /** The open session of the request's cookie (null: none, or ended). */
    sessionOf: (request: FastifyRequest) => Promise<{ token: string, session: OpenSession } | null>
    startSession: (reply: FastifyReply, principal: Principal) => Promise<string>
    endSession: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

export interface SessionsOptions {
  console?: ConsoleConfig
}

export default fp<SessionsOptions>(async (app, opts) => {
  const config = opts.console ?? CONSOLE_DEFAULTS
  const store = new SessionStore(app.database, { idleSeconds: config.idleSeconds, maxSeconds: config.maxSeconds })
  await app.register(cookie, { hook: 'onRequest' })
  app.decorate('consoleSessions', store)
  app.decorate('consoleConfig', config)

  const cookieOf = (request: FastifyRequest): string | undefined => request.cookies[SESSION_COOKIE]

  app.decorate('sessionOf', async (request: FastifyRequest) => {
    const token = cookieOf(request)
    if (token === undefined) return null
    const session = await store.open(token)
    return session === null ? null : { token, session }
  })

  app.decorate('sessionPrincipal', async (request: FastifyRequest) => {
    const token = cookieOf(request)
    if (token === undefined) return null
    const session = await store.open(token)
    if (session === null) throw new ShifouError('SESSION_EXPIRED', 'The console session has ended: sign in again')
    if (!SAFE.has(request.method) && !csrfMatches(token, request.headers['x-csrf-token'])) {
      throw new ShifouError('CSRF_TOKEN_INVALID',
        'A change made in the console needs the session\'s x-csrf-token header')
    }
    return session.principal
  })

  app.decorate('startSession', async (reply: FastifyReply, principal: Principal) => {
    const { token, csrf } = await store.create(principal)
    reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' })
    return csrf
  })

  app.decorate('endSession', async (request: FastifyRequest, reply: FastifyReply) => {
    await store.end(cookieOf(request))
    reply.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: true, sameSite: 'strict', path: '/' })
  })
}, { name: 'sessions', dependencies: ['database'] })
