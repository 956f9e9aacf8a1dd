/**
 * Red-team finding: a deactivated client's token still read its audit entries, proofs and
 * certificates. Now the auth plugin refuses a caller that is not an active registered client, on
 * every route (design §14.5): the routes are enumerated from the app, so a new route is covered.
 */
import t from 'tap'
import type { RouteOptions } from 'fastify'
import { build, ADMIN, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'

t.test('a deactivated client\'s token reads nothing: every authenticated route refuses it', async (t) => {
  const routes: RouteOptions[] = []
  const { app, database, keyring, as, verified } = await build(t, { onRoute: (r) => { routes.push(r) } })
  const { people } = await loadDemo(database, keyring, 20)
  const person = people[0]!
  const answer = await verified(CALLER, { idNumber: person.idNumber, caseId: 'INACTIVE-1' })
  const index = answer.answers[0]!.auditIndex
  await app.audit.checkpoint()
  const caller = as(CALLER)

  // What the client could read while active (the control: each of these must be 200 first).
  const reads: Array<[string, string, unknown?]> = [
    ['GET', `/v1/audit/entries/${index}`],
    ['GET', `/v1/audit/proofs/inclusion?index=${index}`],
    ['GET', '/v1/audit/checkpoint'],
    ['GET', '/v1/questions'],
    ['POST', `/v1/verifications/${answer.id}/certificate`, { idNumber: person.idNumber, format: 'html' }]
  ]
  for (const [method, url, body] of reads) {
    const res = await caller(method, url, body)
    t.equal(res.statusCode, 200, `active: ${method} ${url}: ${res.body.slice(0, 200)}`)
  }

  t.equal((await as(ADMIN)('DELETE', `/v1/clients/${CALLER.sub}`)).statusCode, 204, 'the client is deactivated')

  for (const [method, url, body] of reads) {
    const res = await caller(method, url, body)
    t.equal(res.statusCode, 403, `deactivated: ${method} ${url}`)
    t.equal(res.json().code, 'CLIENT_INACTIVE', `deactivated: ${method} ${url}: code`)
  }

  // Every route of the app, with its path parameters filled in: none serves the deactivated client.
  let checked = 0
  for (const route of routes) {
    if (route.config?.roles === 'public') continue
    const servesCallers = Array.isArray(route.config?.roles) && route.config.roles.includes('caller')
    for (const method of ([] as string[]).concat(route.method)) {
      const url = route.url.replace(/:(\w+)/g, (_m, name: string) => name === 'id' ? answer.id : '1')
      const res = await caller(method, url, method === 'GET' || method === 'HEAD' ? undefined : {})
      const what = `${method} ${route.url}`
      t.equal(res.statusCode, 403, what)
      if (method !== 'HEAD') {
        t.equal(res.json().code, servesCallers ? 'CLIENT_INACTIVE' : 'FORBIDDEN', what + ': code')
      }
      checked++
    }
  }
  t.ok(checked >= 30, `${checked} route methods checked`)
  t.ok(routes.some((r) => r.url === '/v1/audit/proofs/inclusion'), 'the walk holds the proofs')

  // Reactivated, it reads again: the refusal is the client's state, not its token.
  const current = (await as(ADMIN)('GET', `/v1/clients/${CALLER.sub}`)).json()
  const put = await as(ADMIN)('PUT', `/v1/clients/${CALLER.sub}`, {
    name: current.name,
    organisation: current.organisation,
    questions: current.questions,
    purposes: current.purposes,
    active: true
  })
  t.equal(put.statusCode, 200, put.body)
  t.equal((await caller('GET', `/v1/audit/entries/${index}`)).statusCode, 200, 'reactivated: reads again')
})
