/**
 * The plugin's kept verified tokens (src/api/plugins/auth.ts, VerifiedTokens): a token's claims are
 * kept only until its exp and at most 10 minutes, at most 1,000 tokens; through the app, a kept
 * token is still checked on every request and a changed token is never taken for a kept one.
 */
import t from 'tap'
import { createHmac } from 'node:crypto'
import { VerifiedTokens } from '../../src/api/plugins/auth.ts'
import { build, ISSUER, TEST_SECRET } from '../helpers/app.ts'
import { testDatabase } from '../helpers/db.ts'

const T0 = 1_800_000_000_000
const claims = (exp: unknown): Record<string, unknown> => ({ sub: 'ops-1', role: 'admin', exp })

t.test('claims are kept until exp', async (t) => {
  const kept = new VerifiedTokens()
  kept.set('a', claims(T0 / 1000 + 60), T0)
  t.same(kept.get('a', T0 + 59_999), claims(T0 / 1000 + 60))
  t.equal(kept.get('a', T0 + 60_000), null, 'not at exp')
  t.equal(kept.size, 0, 'and dropped then')
})

t.test('claims are kept at most 10 minutes, whatever exp says', async (t) => {
  const kept = new VerifiedTokens()
  kept.set('a', claims(T0 / 1000 + 3600), T0)
  t.ok(kept.get('a', T0 + 599_999))
  t.equal(kept.get('a', T0 + 600_000), null)
})

t.test('a token already expired, or without a numeric exp, is not kept', async (t) => {
  const kept = new VerifiedTokens()
  kept.set('past', claims(T0 / 1000 - 2), T0)
  kept.set('none', claims(undefined), T0)
  kept.set('text', claims(String(T0 / 1000 + 60)), T0)
  t.equal(kept.size, 0)
  t.equal(kept.get('past', T0), null)
})

t.test('at most 1,000 tokens: the oldest goes first', async (t) => {
  const kept = new VerifiedTokens()
  for (let i = 0; i <= 1000; i++) kept.set('t' + i, claims(T0 / 1000 + 60), T0)
  t.equal(kept.size, 1000)
  t.equal(kept.get('t0', T0), null)
  t.ok(kept.get('t1', T0))
  t.ok(kept.get('t1000', T0))
})

t.test('through the app: a kept token is accepted again, a changed one never', async (t) => {
  const database = await testDatabase(t)
  const { app } = await build(t, { database })
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const sign = (payload: Record<string, unknown>, secret: Uint8Array | string = TEST_SECRET): string => {
    const input = b64({ alg: 'HS256', typ: 'JWT' }) + '.' + b64(payload)
    return input + '.' + createHmac('sha256', secret).update(input).digest('base64url')
  }
  const good = sign({ sub: 'ops-1', role: 'admin', aud: 'shifou', iss: ISSUER, iat: now, exp: now + 3600 })
  const get = async (authorization: string): Promise<number> =>
    (await app.inject({ method: 'GET', url: '/v1/departments', headers: { authorization } })).statusCode
  t.equal(await get('Bearer ' + good), 200, 'first use: verified')
  t.equal(await get('Bearer ' + good), 200, 'second use: kept')
  t.equal(await get('Bearer ' + good + 'x'), 401, 'a longer token is not the kept one')
  t.equal(await get('Bearer ' + good.slice(0, -1)), 401, 'nor a shorter one')
  const [h, , s] = good.split('.')
  t.equal(
    await get(
      'Bearer ' +
      h +
      '.' +
      b64({ sub: 'ops-1', role: 'admin', aud: 'shifou', iss: ISSUER, iat: now, exp: now + 7200 }) +
      '.' +
      s
    ),
    401,
    'nor one with another payload and the kept signature'
  )
  t.equal(
    await get(
      'Bearer ' +
      sign(
        { sub: 'ops-1', role: 'admin', aud: 'shifou', iss: ISSUER, iat: now, exp: now + 3600 },
        'another secret of at least thirty-two bytes'
      )
    ),
    401,
    'nor one signed with another key'
  )
  t.equal(await get('bearer ' + good), 200, 'another spelling of the scheme goes to the verifier, which takes it')
})
