/**
 * OpenID Connect sign-in to the console (design §14.4) against a real provider, `oidc-provider`,
 * run in this test on a port of its own, driven through Chromium: the authorization code flow with
 * PKCE, the ID token checked, its group claim mapped to a role (docs/console.md), the session made.
 * An account without a role, or with two, is refused; a callback that did not start in this browser
 * is refused.
 */
import { generateKeyPairSync } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'
import t from 'tap'
import Provider from 'oidc-provider'
import { build } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { loadConsoleConfig } from '../../src/console/config.ts'
import { newPage } from '../browser/browser.ts'

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  'wang.audit': { groups: ['staff', 'audit-office'] },
  'li.tax': { groups: ['tax-stewards'], dept: 'tax' },
  'zhao.ops': { groups: 'ops' },
  'chen.citizen': { groups: ['citizens'] },
  nobody: { groups: ['staff'] },
  'two.hats': { groups: ['audit-office', 'ops'] }
}

t.test('OpenID Connect sign-in through oidc-provider', async (t) => {
  const [appPort, idpPort] = [await freePort(), await freePort()]
  const issuer = `http://127.0.0.1:${idpPort}`
  const redirect = `http://127.0.0.1:${appPort}/console/oidc/callback`
  const consoleConfig = loadConsoleConfig({
    SHIFOU_OIDC_ISSUER: issuer,
    SHIFOU_OIDC_CLIENT_ID: 'shifou-console',
    SHIFOU_OIDC_CLIENT_SECRET: 'a-client-secret-of-the-console-0123456789',
    SHIFOU_OIDC_REDIRECT_URI: redirect,
    SHIFOU_OIDC_SCOPES: 'openid shifou',
    SHIFOU_OIDC_ROLE_CLAIM: 'groups',
    SHIFOU_OIDC_ROLES: JSON.stringify({
      'audit-office': 'auditor', 'tax-stewards': 'dept_admin', ops: 'admin', citizens: 'subject'
    })
  }, null)
  t.equal(consoleConfig.devSignIn, false, 'no development sign-in beside OpenID Connect')

  const { app, database, keyring } = await build(t, { console: consoleConfig })
  const { people } = await loadDemo(database, keyring, 10)
  ACCOUNTS['chen.citizen']!.idNumber = people[0]!.idNumber
  await app.listen({ host: '127.0.0.1', port: appPort })
  const base = `http://127.0.0.1:${appPort}`

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'shifou-console',
      client_secret: 'a-client-secret-of-the-console-0123456789',
      redirect_uris: [redirect],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic'
    }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'idp-1', alg: 'RS256', use: 'sig' }] },
    pkce: { required: () => true },
    scopes: ['openid', 'shifou'],
    claims: { openid: ['sub'], shifou: ['groups', 'dept', 'idNumber'] },
    conformIdTokenClaims: false,
    cookies: { keys: ['a-cookie-key-of-the-test-provider'] },
    findAccount: (_ctx: unknown, id: string) => ACCOUNTS[id] === undefined
      ? undefined
      : { accountId: id, claims: async () => ({ sub: id, ...ACCOUNTS[id] }) }
  })
  const idp = provider.listen(idpPort)
  t.teardown(() => { idp.close() })

  async function signIn (login: string): Promise<import('playwright-core').Page> {
    const page = await newPage(t)
    // The provider's development pages ask for a web font; nothing leaves the machine.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, async (route) => { await route.abort() })
    await page.goto(base + '/console')
    await page.getByRole('link', { name: '使用统一身份认证登录' }).click()
    await page.waitForURL(new RegExp('^' + issuer))
    await page.locator('input[name=login]').fill(login)
    await page.locator('input[name=password]').fill('any')
    await page.getByRole('button', { name: 'Sign-in' }).click()
    const consent = page.getByRole('button', { name: 'Continue' })
    await Promise.race([consent.waitFor().then(async () => { await consent.click() }),
      page.waitForURL(new RegExp('^' + base))])
    await page.waitForURL(new RegExp('^' + base))
    return page
  }

  const cases: Array<[string, string, string]> = [
    ['wang.audit', '审计日志', 'auditor'],
    ['li.tax', '数据源', 'dept_admin'],
    ['zhao.ops', '调用方（审批系统）', 'admin'],
    ['chen.citizen', '谁查询了我', 'subject']
  ]
  for (const [login, heading, role] of cases) {
    await t.test(`${login} signs in as ${role}`, async (t) => {
      const page = await signIn(login)
      await page.getByRole('heading', { name: heading, exact: true }).waitFor()
      const session = await page.evaluate(`fetch('/console/session').then((r) => r.json())`) as Record<string, string>
      t.same([session.role, session.sub], [role, login], 'the session is the ID token\'s sub, mapped to its role')
      if (role === 'dept_admin') t.equal(session.dept, 'tax')
      const cookies = await page.context().cookies(base)
      const sessionCookie = cookies.find((c) => c.name === 'shifou_session')
      t.same([sessionCookie?.httpOnly, sessionCookie?.secure, sessionCookie?.sameSite], [true, true, 'Strict'])
      t.notOk(cookies.some((c) => c.name === 'shifou_oidc'), 'the pending sign-in\'s cookie is gone')
    })
  }

  await t.test('no role, or two roles: refused', async (t) => {
    for (const login of ['nobody', 'two.hats']) {
      const page = await signIn(login)
      await page.getByRole('heading', { name: '登录失败' }).waitFor()
      t.match(await page.getByRole('alert').innerText(), login === 'nobody' ? /no role/ : /several roles/)
      const session = await page.evaluate(`fetch('/console/session').then((r) => r.json())`) as { signedIn: boolean }
      t.equal(session.signedIn, false, `${login} has no session`)
    }
  })

  await t.test('a callback that did not start in this browser is refused', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/console/oidc/callback?code=abc&state=def' })
    t.equal(res.statusCode, 401)
    t.match(res.body, /登录失败/)
    t.notOk(String(res.headers['set-cookie'] ?? '').includes('shifou_session='), 'no session')
    const login = await app.inject({ method: 'GET', url: '/console/oidc/login' })
    t.equal(login.statusCode, 302)
    const to = new URL(String(login.headers.location))
    t.equal(to.origin, issuer)
    t.equal(to.searchParams.get('code_challenge_method'), 'S256')
    t.match(to.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/)
    t.match(String(login.headers['set-cookie']), /shifou_oidc=.*HttpOnly.*Secure.*SameSite=Lax/)
    // The state of another browser's sign-in does not pass with this browser's cookie.
    const pending = String(login.headers['set-cookie']).split(';')[0]!
    const other = await app.inject({ method: 'GET', url: '/console/oidc/login' })
    const state = new URL(String(other.headers.location)).searchParams.get('state')
    const crossed = await app.inject({
      method: 'GET', url: `/console/oidc/callback?code=abc&state=${state!}`, headers: { cookie: pending }
    })
    t.equal(crossed.statusCode, 401)
    t.match(crossed.body, /state/)
  })
})
