/**
 * /console: the web console (design §14.4) — one HTML shell (its modules and stylesheet are served
 * from src/api/public by /assets/:file) and the session: who is signed in, the development sign-in
 * of the embedded default, sign-out. The console's views call the API's own routes with the
 * session cookie (plugins/sessions.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@fastify/type-provider-typebox'
import { ShifouError } from '../../../errors.ts'
import { principalOf } from '../../plugins/auth.ts'
import { listDepartments } from '../../../registry/store.ts'
import { makePeople } from '../../../demo/population.ts'
import { CONSOLE_CSP, consoleShell, langOf } from '../../../console/shell.ts'
import { CONSOLE_ROLES } from '../../../console/config.ts'
import { csrfMatches } from '../../../console/sessions.ts'
import oidcRoutes from './oidc.ts'
import { Id, Strict, withErrors } from '../../schemas/common.ts'

const tags = ['console']
const publicRoute = { roles: 'public' as const }

const SessionView = Type.Object({
  signedIn: Type.Boolean(),
  role: Type.Optional(Type.String()),
  sub: Type.Optional(Type.String()),
  dept: Type.Optional(Type.String()),
  csrf: Type.Optional(Type.String({ description: 'send it as x-csrf-token with every change' })),
  idleSeconds: Type.Integer({ description: 'the session ends after this long unused' }),
  signIn: Type.Object({
    oidc: Type.Boolean({ description: 'OpenID Connect sign-in at /console/oidc/login' }),
    dev: Type.Boolean({ description: 'the development sign-in (embedded default only)' }),
    departments: Type.Optional(Type.Array(Type.Object({ id: Type.String(), name: Type.String() }))),
    demoIdNumber: Type.Optional(Type.String({ description: 'a synthetic person of the demo (development only)' }))
  })
})

const DevSignIn = Type.Object({
  role: Type.Union(CONSOLE_ROLES.map((r) => Type.Literal(r))),
  dept: Type.Optional(Id),
  idNumber: Type.Optional(Type.String({ maxLength: 40 }))
}, Strict)

const consolePages: FastifyPluginAsyncTypebox = async (app) => {
  const config = app.consoleConfig
  const html = { zh: consoleShell('zh'), en: consoleShell('en') }

  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONSOLE_CSP)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('cache-control', 'no-store')
  })

  app.get('', {
    config: publicRoute,
    schema: {
      tags,
      description: 'The console (text/html): Chinese by default, English with ?lang=en.',
      querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 8 })) }),
      response: { 200: Type.String({ description: 'text/html' }) }
    }
  }, async (request, reply) => reply.type('text/html; charset=utf-8').send(html[langOf(request.query.lang)]))

  const signInOptions = async (): Promise<Static<typeof SessionView>['signIn']> => {
    if (!config.devSignIn) return { oidc: config.oidc !== null, dev: false }
    const departments = (await listDepartments(app.database)).filter((d) => d.active)
      .map((d) => ({ id: d.id, name: d.name }))
    return { oidc: false, dev: true, departments, demoIdNumber: makePeople(1, 2026)[0]!.idNumber }
  }

  app.get('/session', {
    config: publicRoute,
    schema: {
      tags,
      description: 'Who is signed in to the console, and how one signs in.',
      response: { 200: SessionView }
    }
  }, async (request) => {
    const open = await app.sessionOf(request)
    const base = { idleSeconds: config.idleSeconds }
    if (open === null) return { ...base, signedIn: false, signIn: await signInOptions() }
    const { principal } = open.session
    return {
      ...base,
      signedIn: true,
      role: principal.role,
      sub: principal.sub,
      ...(principal.dept === undefined ? {} : { dept: principal.dept }),
      csrf: open.session.csrf,
      signIn: { oidc: config.oidc !== null, dev: config.devSignIn }
    }
  })

  app.post('/session/dev', {
    config: publicRoute,
    bodyLimit: 1024,
    schema: {
      tags,
      description: 'The development sign-in: offered only on the embedded default with no OpenID Connect configured.',
      body: DevSignIn,
      response: withErrors({ 200: Type.Object({ role: Type.String(), csrf: Type.String() }) }, 404)
    }
  }, async (request, reply) => {
    if (!config.devSignIn) throw new ShifouError('NOT_FOUND', 'The development sign-in is not offered here')
    const { role, dept, idNumber } = request.body
    if (role === 'dept_admin' && dept === undefined) {
      throw new ShifouError('INVALID_BODY', 'A department admin needs dept')
    }
    if (role === 'subject' && idNumber === undefined) throw new ShifouError('INVALID_BODY', 'A citizen needs idNumber')
    let principal
    try {
      principal = principalOf({
        sub: role === 'dept_admin' ? `dev-${role}-${dept!}` : `dev-${role}`,
        role,
        ...(role === 'dept_admin' ? { dept } : {}),
        ...(role === 'subject' ? { idNumber } : {})
      })
    } catch {
      throw new ShifouError('INVALID_ID_NUMBER', 'idNumber is not a valid resident ID number')
    }
    const csrf = await app.startSession(reply, principal)
    return { role: principal.role, csrf }
  })

  app.delete('/session', {
    config: publicRoute,
    schema: { tags, description: 'Signs out.', response: withErrors({ 204: Type.Null() }) }
  }, async (request, reply) => {
    const token = request.cookies.shifou_session
    if (token !== undefined && !csrfMatches(token, request.headers['x-csrf-token'])) {
      throw new ShifouError('CSRF_TOKEN_INVALID', 'Signing out needs the session\'s x-csrf-token header')
    }
    await app.endSession(request, reply)
    return reply.code(204).send(null)
  })

  if (config.oidc !== null) await app.register(oidcRoutes, { oidc: config.oidc })
}

export default consolePages
