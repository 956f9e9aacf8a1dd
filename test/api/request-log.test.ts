/**
 * Red-team finding: raw ID numbers a client put in a URL path reached the request log. The request
 * log now holds the route's pattern, never the path sent, and never a query string (design §14.5).
 */
import t from 'tap'
import { build, AUDITOR, CALLER } from '../helpers/app.ts'
import { captureLog } from '../helpers/log-capture.ts'
import { loggerOptions } from '../../src/api/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'

t.test('raw ID numbers a client put in a URL path reach the request log', async (t) => {
  const log = captureLog()
  const { database, keyring, as, verified, app } = await build(t, {
    logger: { ...loggerOptions('info'), stream: log.stream }
  })
  const { people } = await loadDemo(database, keyring, 10)
  const id = people[3]!.idNumber
  const answer = await verified(CALLER, { idNumber: people[0]!.idNumber, caseId: 'LOG-1' })
  const from = log.lines.length

  const auditor = as(AUDITOR)
  const caller = as(CALLER)
  // An ID number where a route has a parameter, where no route is, and in query strings.
  await caller('POST', `/v1/verifications/${id}/certificate`, { idNumber: id })
  await auditor('GET', `/v1/audit/entries/${id}`)
  await auditor('GET', `/v1/audit/subjects/${id}`)
  await auditor('GET', `/v1/audit/entries?subject=${id}&caseId=${id}`)
  await app.inject({ method: 'GET', url: `/${id}?idNumber=${id}` })
  await caller('POST', `/v1/verifications/${answer.id}/certificate`, { idNumber: id })
  // A URL that is not valid percent-encoding is refused before routing: logged without its path too.
  await auditor('GET', `/v1/audit/subjects/${id}%zz`)

  const lines = log.lines.slice(from)
  t.ok(lines.length >= 12, `${lines.length} log lines written`)
  for (const digits of [id, id.slice(0, 14), id.slice(6, 14)]) {
    t.notOk(log.text().includes(digits), 'no log line holds the ID number or a part of it: ' + digits.length)
  }
  t.notOk(log.text().includes(answer.id), 'nor the verification id a path carried')
  const routes = lines.filter((l) => l.msg === 'incoming request').map((l) => l.req as { id: string })
  t.same(routes, [
    { id: routes[0]!.id, method: 'POST', route: '/v1/verifications/:id/certificate' },
    { id: routes[1]!.id, method: 'GET', route: '/v1/audit/entries/:index' },
    { id: routes[2]!.id, method: 'GET', route: null },
    { id: routes[3]!.id, method: 'GET', route: '/v1/audit/entries', query: '[redacted]' },
    { id: routes[4]!.id, method: 'GET', route: null, query: '[redacted]' },
    { id: routes[5]!.id, method: 'POST', route: '/v1/verifications/:id/certificate' },
    { id: routes[6]!.id, method: 'GET', route: null }
  ], 'each request is logged by its route pattern')
  t.ok(lines.filter((l) => l.msg === 'request completed').length >= 6, 'and their completions')
})
