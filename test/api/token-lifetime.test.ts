/**
 * Red-team finding: JWTs had no maximum lifetime. A bearer token may live at most
 * SHIFOU_JWT_MAX_TTL (default 24 h), exp − iat; a longer-lived one is 401 TOKEN_LIFETIME_TOO_LONG.
 */
import t from 'tap'
import { createHmac } from 'node:crypto'
import { build, ISSUER, TEST_SECRET } from '../helpers/app.ts'
import { testDatabase } from '../helpers/db.ts'
import { ConfigError, DEFAULT_JWT_MAX_TTL_S, loadConfig } from '../../src/config.ts'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')
const now = (): number => Math.floor(Date.now() / 1000)

/** An HS256 token with exactly these claims (an admin's, unless overridden). */
function token (extra: Record<string, unknown>): string {
  const input = b64({ alg: 'HS256', typ: 'JWT' }) + '.' +
    b64({ sub: 'ops-1', role: 'admin', aud: 'shifou', iss: ISSUER, iat: now(), exp: now() + 3600, ...extra })
  return input + '.' + createHmac('sha256', TEST_SECRET).update(input).digest('base64url')
}

t.test('JWTs have no maximum lifetime', async (t) => {
  const database = await testDatabase(t)
  const { app } = await build(t, { database })
  const get = async (bearer: string): Promise<{ statusCode: number, json: () => { code: string } }> =>
    await app.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: 'Bearer ' + bearer } })
  const entries = async (): Promise<number> =>
    Number((await database.query<{ n: string }>('select count(*) as n from audit_entries'))[0]!.n)
  const before = await entries()

  const day = DEFAULT_JWT_MAX_TTL_S
  t.equal(day, 86_400, 'the default is 24 h')
  t.equal((await get(token({ exp: now() + day }))).statusCode, 200, 'exactly the maximum: accepted')
  for (const [what, claims] of [
    ['a second over a day', { exp: now() + day + 1 }],
    ['a year', { exp: now() + 365 * day }],
    ['exp 1e20', { exp: 1e20 }],
    ['an iat long past, an exp still ahead', { iat: now() - 2 * day, exp: now() + 60 }]
  ] as const) {
    const res = await get(token(claims))
    t.equal(res.statusCode, 401, what)
    t.equal(res.json().code, 'TOKEN_LIFETIME_TOO_LONG', what + ': code')
    // Asked twice: a token is never kept (and so let through) for having been seen before.
    t.equal((await get(token(claims))).statusCode, 401, what + ': again')
  }
  t.equal(await entries(), before, 'a refused token writes no audit entry')
})

t.test('SHIFOU_JWT_MAX_TTL sets the maximum', async (t) => {
  const base = { SHIFOU_DATA_DIR: t.testdir() }
  t.equal(loadConfig(base).jwtMaxTtlSeconds, 86_400)
  t.equal(loadConfig({ ...base, SHIFOU_JWT_MAX_TTL: '1h' }).jwtMaxTtlSeconds, 3600)
  t.equal(loadConfig({ ...base, SHIFOU_JWT_MAX_TTL: '900' }).jwtMaxTtlSeconds, 900)
  for (const bad of ['0', '1y', '-1h', '400d', 'day']) {
    t.throws(() => loadConfig({ ...base, SHIFOU_JWT_MAX_TTL: bad }), ConfigError, bad)
  }
})
