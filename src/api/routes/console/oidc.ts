/**
 * /console/oidc/…: OpenID Connect sign-in (src/console/oidc.ts). Registered only when
 * SHIFOU_OIDC_ISSUER is set. The pending sign-in's secret is a cookie scoped to /console/oidc,
 * SameSite=Lax (the provider's redirect back is a cross-site navigation, on which a Strict cookie
 * would not be sent), gone after 10 minutes or at the callback.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { OidcClient, SignInError } from '../../../console/oidc.ts'
import { continuePage, langOf } from '../../../console/shell.ts'
import type { OidcConfig } from '../../../console/config.ts'

const PENDING = 'shifou_oidc'
const cookie = { httpOnly: true, secure: true, sameSite: 'lax', path: '/console/oidc' } as const
const publicRoute = { roles: 'public' as const }
const tags = ['console']

const oidcRoutes: FastifyPluginAsyncTypebox<{ oidc: OidcConfig }> = async (app, opts) => {
  const client = new OidcClient(opts.oidc)

  app.get('/oidc/login', {
    config: publicRoute,
    schema: {
      tags,
      description: 'Starts an OpenID Connect sign-in: redirects to the identity provider.',
      querystring: Type.Object({ lang: Type.Optional(Type.String({ maxLength: 8 })) }),
      response: { 200: Type.String({ description: 'text/html' }), 302: Type.Null() }
    }
  }, async (request, reply) => {
    const lang = langOf(request.query.lang)
    try {
      const { secret, url } = await client.start()
      reply.setCookie(PENDING, `${secret}.${lang}`, { ...cookie, maxAge: 600 })
      return reply.redirect(url, 302)
    } catch (err) {
      request.log.warn({ errName: (err as Error).name }, 'OpenID Connect sign-in could not start')
      return reply.type('text/html; charset=utf-8')
        .send(continuePage(lang, '/console', lang === 'en'
          ? 'The identity provider cannot be reached; try again later.'
          : '无法连接统一身份认证服务，请稍后再试。'))
    }
  })

  app.get('/oidc/callback', {
    config: publicRoute,
    schema: {
      tags,
      description: 'Where the identity provider sends the browser back: makes the console session.',
      querystring: Type.Record(Type.String(), Type.String({ maxLength: 4096 })),
      response: { 200: Type.String({ description: 'text/html' }), 401: Type.String({ description: 'text/html' }) }
    }
  }, async (request, reply) => {
    const [secret, given] = (request.cookies[PENDING] ?? '').split('.')
    const lang = langOf(given)
    const home = '/console' + (lang === 'en' ? '?lang=en' : '')
    reply.clearCookie(PENDING, cookie)
    reply.type('text/html; charset=utf-8')
    try {
      const principal = await client.finish(request.query, secret === '' ? undefined : secret)
      await app.startSession(reply, principal)
      return reply.send(continuePage(lang, home, null))
    } catch (err) {
      if (!(err instanceof SignInError)) throw err
      request.log.info({ reason: err.message }, 'OpenID Connect sign-in refused')
      const message = (lang === 'en' ? 'Sign-in failed: ' : '登录失败：') + err.message
      return reply.code(401).send(continuePage(lang, home, message))
    }
  })
}

export default oidcRoutes
