/**
 * GET /v1/clients/me (design §14.6): a caller reads its own registration and today's usage, and
 * nothing of any other client; other roles and inactive clients are refused.
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { callerOf } from '../helpers/claims.ts'
import { register } from '../helpers/registry.ts'

const test = await build(t)
const { database, keyring, as, ask } = test
const { people } = await loadDemo(database, keyring, 20)

t.test('the caller sees its questions, purposes, limits and usage', async (t) => {
  const before = await as(CALLER)('GET', '/v1/clients/me')
  t.equal(before.statusCode, 200, before.body)
  const me = before.json()
  t.equal(me.id, DEMO_CLIENT)
  t.same(me.purposes, [DEMO_PURPOSE, 'public-rental-flat'].sort())
  t.ok(me.questions.includes('property.holds'))
  t.same(me.quotas, { requestsPerMinute: 600, subjectsPerDay: 500, subjectsPerCase: 20, namesPerSubjectPerDay: 3 })
  t.match(me.usage, { day: /^\d{4}-\d{2}-\d{2}$/, subjectsToday: 0 })
  t.notOk('autoSuspend' in me, 'what the detectors may do is not the caller\'s business')

  for (const p of people.slice(0, 3)) t.equal((await ask(CALLER, { idNumber: p.idNumber })).statusCode, 200)
  const after = (await as(CALLER)('GET', '/v1/clients/me')).json()
  t.equal(after.usage.subjectsToday, 3, 'three people today')
  t.ok(after.usage.requestsThisMinute >= 1 && after.usage.requestsThisMinute <= 3, 'requests this minute counted')
})

t.test('a question deactivated since registration is not listed', async (t) => {
  t.equal((await as(ADMIN)('DELETE', '/v1/questions/property.none')).statusCode, 204)
  const me = (await as(CALLER)('GET', '/v1/clients/me')).json()
  t.notOk(me.questions.includes('property.none'))
})

t.test('refused: another role, an unregistered or inactive client', async (t) => {
  for (const claims of [ADMIN, AUDITOR]) {
    const res = await as(claims)('GET', '/v1/clients/me')
    t.equal(res.statusCode, 403, claims.role)
  }
  t.equal((await as(callerOf('nobody'))('GET', '/v1/clients/me')).json().code, 'CLIENT_INACTIVE')
  await register(test, { clients: [{ id: 'gone', questions: [], purposes: ['x'] }] })
  t.equal((await as(ADMIN)('DELETE', '/v1/clients/gone')).statusCode, 204)
  const res = await as(callerOf('gone'))('GET', '/v1/clients/me')
  t.equal(res.statusCode, 403)
  t.equal(res.json().code, 'CLIENT_INACTIVE')
})

t.test('an admin still reads any client by id', async (t) => {
  const res = await as(ADMIN)('GET', '/v1/clients/' + DEMO_CLIENT)
  t.equal(res.statusCode, 200)
  t.equal(res.json().id, DEMO_CLIENT)
})
