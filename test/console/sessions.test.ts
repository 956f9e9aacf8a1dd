/**
 * The console's sessions (design §14.4), through the HTTP interface: the development sign-in, the
 * cookie's attributes, the session standing for its principal on the API's own routes, CSRF on
 * changes, the idle timeout, sign-out, the CSP of the page, and what the sessions table holds.
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build } from '../helpers/app.ts'
import { storeAlert } from '../../src/abuse/alerts.ts'
import { CONSOLE_DEFAULTS, loadConsoleConfig } from '../../src/console/config.ts'

const DEV = { ...CONSOLE_DEFAULTS, devSignIn: true }
const ID = '11010519491231002X'

function cookieOf (res: LightMyRequestResponse): string {
  const header = res.headers['set-cookie']
  const line = (Array.isArray(header) ? header : [header ?? '']).find((c) => c.startsWith('shifou_session='))
  if (line === undefined) throw new Error('no session cookie: ' + res.body)
  return line
}

t.test('console sessions', async (t) => {
  const { app, database, as } = await build(t, { console: DEV })
  const call = async (method: string, url: string, cookie: string | null, body?: unknown,
    headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(cookie === null ? {} : { cookie }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) })
    })
  const signIn = async (body: Record<string, string>): Promise<{ cookie: string, csrf: string }> => {
    const res = await call('POST', '/console/session/dev', null, body)
    t.equal(res.statusCode, 200, `dev sign-in as ${body.role}: ${res.body}`)
    return { cookie: cookieOf(res).split(';')[0]!, csrf: res.json().csrf }
  }

  t.test('the page: Chinese by default, English on request, a CSP without inline script', async (t) => {
    const zh = await call('GET', '/console', null)
    t.equal(zh.statusCode, 200)
    t.match(zh.headers['content-type'], /^text\/html/)
    t.match(zh.body, /<html lang="zh-CN">/)
    t.notMatch(zh.body, /<script>|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
    const csp = String(zh.headers['content-security-policy'])
    t.match(csp, /script-src 'self'/)
    t.notMatch(csp, /unsafe-inline|unsafe-eval/)
    t.match(csp, /frame-ancestors 'none'/)
    t.match((await call('GET', '/console?lang=en', null)).body, /<html lang="en">/)
  })

  t.test('signed out: the session says how to sign in', async (t) => {
    const res = await call('GET', '/console/session', null)
    t.equal(res.json().signedIn, false)
    t.equal(res.json().signIn.dev, true)
    t.equal(res.json().signIn.oidc, false)
  })

  t.test('the cookie: HttpOnly, Secure, SameSite=Strict, for the whole service', async (t) => {
    const res = await call('POST', '/console/session/dev', null, { role: 'auditor' })
    const cookie = cookieOf(res)
    t.match(cookie, /; HttpOnly/)
    t.match(cookie, /; Secure/)
    t.match(cookie, /; SameSite=Strict/)
    t.match(cookie, /; Path=\//)
    t.notMatch(cookie, /Max-Age|Expires/, 'no expiry: it ends with the browser, the server ends it when idle')
  })

  t.test('a session is its principal on the API\'s routes; changes need the CSRF token', async (t) => {
    const { cookie, csrf } = await signIn({ role: 'auditor' })
    const me = (await call('GET', '/console/session', cookie)).json()
    t.same([me.signedIn, me.role, me.sub, me.csrf], [true, 'auditor', 'dev-auditor', csrf])
    t.equal((await call('GET', '/v1/audit/entries', cookie)).statusCode, 200)
    const other = await call('GET', '/v1/connectors', cookie)
    t.same([other.statusCode, other.json().code], [403, 'FORBIDDEN'], 'an auditor is not a department admin')
    const search = { idNumber: ID, reason: 'inspection case 2026-7' }
    const bare = await call('POST', '/v1/audit/subject-search', cookie, search)
    t.same([bare.statusCode, bare.json().code], [403, 'CSRF_TOKEN_INVALID'], 'no CSRF header: refused')
    const forged = csrf.slice(1) + 'A'
    const wrong = await call('POST', '/v1/audit/subject-search', cookie, search, { 'x-csrf-token': forged })
    t.equal(wrong.json().code, 'CSRF_TOKEN_INVALID', 'a wrong CSRF token: refused')
    const ok = await call('POST', '/v1/audit/subject-search', cookie, search, { 'x-csrf-token': csrf })
    t.equal(ok.statusCode, 200, ok.body)
    const entries = await as({ sub: 'aud-1', role: 'auditor' })('GET', '/v1/audit/entries?kind=subject-search')
    t.equal(entries.json().entries.at(-1).actor.sub, 'dev-auditor', 'the search was made as the session\'s principal')
  })

  t.test('a bearer token wins over a cookie', async (t) => {
    const { cookie } = await signIn({ role: 'auditor' })
    const res = await as({ sub: 'ops-1', role: 'admin' })('GET', '/v1/connectors', undefined, { cookie })
    t.equal(res.statusCode, 200)
  })

  t.test('the idle timeout ends a session; sign-out ends it at once', async (t) => {
    const idle = await signIn({ role: 'auditor' })
    await database.query(`update console_sessions set last_seen = now() - interval '16 minutes'`)
    const ended = await call('GET', '/v1/audit/entries', idle.cookie)
    t.same([ended.statusCode, ended.json().code], [401, 'SESSION_EXPIRED'])
    t.equal((await call('GET', '/console/session', idle.cookie)).json().signedIn, false)

    const used = await signIn({ role: 'auditor' })
    const noCsrf = await call('DELETE', '/console/session', used.cookie)
    t.equal(noCsrf.json().code, 'CSRF_TOKEN_INVALID', 'signing out is a change too')
    const out = await call('DELETE', '/console/session', used.cookie, undefined, { 'x-csrf-token': used.csrf })
    t.equal(out.statusCode, 204)
    t.match(String(out.headers['set-cookie']), /shifou_session=;/, 'the cookie is cleared')
    t.equal((await call('GET', '/v1/audit/entries', used.cookie)).json().code, 'SESSION_EXPIRED')
  })

  t.test('a citizen\'s session: the table holds no ID number and no usable token', async (t) => {
    const { cookie } = await signIn({ role: 'subject', idNumber: ID })
    t.equal((await call('GET', '/v1/me/access-log', cookie)).statusCode, 200)
    const rows = await database.query<{ token_hash: Uint8Array, principal: Uint8Array }>(
      'select token_hash, principal from console_sessions')
    t.ok(rows.length > 0)
    const token = cookie.split('=')[1]!
    for (const r of rows) {
      const bytes = Buffer.concat([Buffer.from(r.token_hash), Buffer.from(r.principal)])
      t.notOk(bytes.includes(ID) || bytes.includes(ID.slice(0, 17)), 'no ID number in the clear')
      t.notOk(bytes.includes(token) || bytes.includes(Buffer.from(token, 'base64url')), 'no session token')
    }
    const bad = await call('POST', '/console/session/dev', null, { role: 'subject', idNumber: '110105194912310021' })
    t.same([bad.statusCode, bad.json().code], [400, 'INVALID_ID_NUMBER'])
    t.notMatch(bad.body, /110105194912310021/)
    const noDept = await call('POST', '/console/session/dev', null, { role: 'dept_admin' })
    t.equal(noDept.json().code, 'INVALID_BODY')
    const caller = await call('POST', '/console/session/dev', null, { role: 'caller' })
    t.equal(caller.statusCode, 400, 'an approval system has no desk')
  })

  t.test('an auditor acknowledges an alert: recorded, audited once', async (t) => {
    const id = await storeAlert(database, {
      kind: 'UNKNOWN_SUBJECTS', client: 'demo-housing', organisation: null, scope: 'x', day: '2026-12-06',
      detail: { n: 3 }
    })
    const { cookie, csrf } = await signIn({ role: 'auditor' })
    const first = await call('POST', `/v1/audit/alerts/${id!}/acknowledge`, cookie, undefined, { 'x-csrf-token': csrf })
    t.equal(first.statusCode, 200, first.body)
    t.equal(first.json().acknowledged.by, 'dev-auditor')
    const again = await call('POST', `/v1/audit/alerts/${id!}/acknowledge`, cookie, undefined, { 'x-csrf-token': csrf })
    t.same(again.json().acknowledged, first.json().acknowledged, 'acknowledging again changes nothing')
    const listed = (await call('GET', '/v1/audit/alerts', cookie)).json().alerts
      .find((a: { id: number }) => a.id === id)
    t.same(listed.acknowledged, first.json().acknowledged)
    const entries = (await call('GET', '/v1/audit/entries?kind=change&order=desc', cookie)).json().entries
      .filter((e: { code: string }) => e.code === 'ACKNOWLEDGE')
    t.equal(entries.length, 1, 'one audit entry')
    t.same(entries[0].detail, { action: 'acknowledge', resource: 'alert', id: String(id), alert: 'UNKNOWN_SUBJECTS' })
    const missing = await call('POST', '/v1/audit/alerts/999999/acknowledge', cookie, undefined,
      { 'x-csrf-token': csrf })
    t.equal(missing.json().code, 'NOT_FOUND')
  })

  t.test('the log newest first, paged downwards', async (t) => {
    const { cookie } = await signIn({ role: 'auditor' })
    const all = (await call('GET', '/v1/audit/entries?limit=1000', cookie)).json().entries
      .map((e: { index: number }) => e.index)
    t.ok(all.length >= 3)
    const first = (await call('GET', '/v1/audit/entries?order=desc&limit=2', cookie)).json()
    t.same(first.entries.map((e: { index: number }) => e.index), all.slice(-2).reverse())
    const second = (await call('GET', `/v1/audit/entries?order=desc&limit=2&cursor=${first.next}`, cookie)).json()
    t.same(second.entries.map((e: { index: number }) => e.index), all.slice(-4, -2).reverse())
  })
})

t.test('no development sign-in unless configured', async (t) => {
  const { app } = await build(t)
  const session = await app.inject({ method: 'GET', url: '/console/session' })
  t.same(session.json().signIn, { oidc: false, dev: false })
  const res = await app.inject({ method: 'POST', url: '/console/session/dev', payload: { role: 'admin' } })
  t.same([res.statusCode, res.json().code], [404, 'NOT_FOUND'])
})

t.test('configuration: the development sign-in only on the embedded default without OpenID Connect', async (t) => {
  t.equal(loadConsoleConfig({}, null).devSignIn, true)
  t.equal(loadConsoleConfig({}, 'postgres://db/x').devSignIn, false, 'never with DATABASE_URL')
  const oidc = {
    SHIFOU_OIDC_ISSUER: 'https://id.example.gov.cn',
    SHIFOU_OIDC_CLIENT_ID: 'shifou-console',
    SHIFOU_OIDC_REDIRECT_URI: 'https://shifou.example.gov.cn/console/oidc/callback'
  }
  const withOidc = loadConsoleConfig(oidc, null)
  t.equal(withOidc.devSignIn, false, 'never with OpenID Connect')
  t.equal(withOidc.oidc?.roleMap.get('auditor'), 'auditor')
  t.equal(withOidc.oidc?.roleMap.get('caller'), undefined, 'callers have no desk')
  t.throws(() => loadConsoleConfig({ SHIFOU_OIDC_ISSUER: oidc.SHIFOU_OIDC_ISSUER }, null), /SHIFOU_OIDC_CLIENT_ID/)
  t.throws(() => loadConsoleConfig({ ...oidc, SHIFOU_OIDC_ROLES: '{"g": "caller"}' }, null), /SHIFOU_OIDC_ROLES/)
  t.equal(loadConsoleConfig({ ...oidc, SHIFOU_OIDC_ROLES: '{"audit-group": "auditor"}' }, null)
    .oidc?.roleMap.get('audit-group'), 'auditor')
  t.throws(() => loadConsoleConfig({ SHIFOU_CONSOLE_IDLE_MINUTES: '0' }, null), /IDLE/)
  t.equal(loadConsoleConfig({ SHIFOU_CONSOLE_IDLE_MINUTES: '30' }, null).idleSeconds, 1800)
})
