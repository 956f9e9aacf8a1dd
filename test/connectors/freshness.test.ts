/**
 * Freshness (design §14.2): a connector's `maxAgeDays`; a question over a connector whose active
 * snapshot is older is refused whole with 503 CONNECTOR_STALE (audited) — never answered, never
 * `no`; GET /v1/connectors/:id shows `health`; /metrics has gauges per connector.
 */
import t from 'tap'
import { build, ADMIN } from '../helpers/app.ts'
import { callerOf } from '../helpers/claims.ts'
import { fileConnector, register, UNLIMITED } from '../helpers/registry.ts'
import { makePeople } from '../../src/demo/population.ts'

const env = await build(t)
const admin = env.as(ADMIN)
const CLIENT = callerOf('fresh-tests')
/** A date `days` before today in China Standard Time. */
const daysAgo = (days: number): string =>
  new Date(Date.now() + 8 * 3600_000 - days * 86_400_000).toISOString().slice(0, 10)

await register(env, {
  departments: [{ id: 'social', name: 'Social insurance' }],
  connectors: [
    fileConnector('insured', 'social', [{ name: 'active', type: 'boolean' }], { maxAgeDays: 30 }),
    fileConnector('pension', 'social', [{ name: 'active', type: 'boolean' }]),
    fileConnector('empty', 'social', [{ name: 'active', type: 'boolean' }], { maxAgeDays: 5 })
  ],
  questions: ['insured', 'pension', 'empty'].flatMap((c) => [
    { id: c + '.yes', connector: c, title: 'Active', when: { any: { active: { eq: true } } } },
    { id: c + '.no', connector: c, title: 'Not known', when: { not: { any: {} } } }
  ]),
  clients: [{
    id: CLIENT.sub,
    questions: ['insured.yes', 'insured.no', 'pension.yes', 'empty.yes'],
    purposes: ['check'],
    quotas: UNLIMITED
  }]
})
const people = makePeople(6, 21)
const csv = 'id_number,active\n' + people.map((p) => `${p.idNumber},true`).join('\n') + '\n'
async function load (connector: string, asOf: string, body = csv): Promise<number> {
  const res = await admin('PUT', `/v1/connectors/${connector}/snapshot?asOf=${asOf}`, body,
    { 'content-type': 'text/csv' })
  return res.statusCode
}
let cases = 0
const ask = async (questions: string[], p = people[0]!) =>
  await env.ask(CLIENT, { idNumber: p.idNumber, questions, purpose: 'check', caseId: 'fresh-' + ++cases })
const health = async (id: string): Promise<Record<string, unknown>> =>
  (await admin('GET', '/v1/connectors/' + id)).json().health

t.test('a snapshot within maxAgeDays answers, and its health says fresh', async (t) => {
  t.equal(await load('insured', daysAgo(30)), 201)
  t.equal(await load('pension', daysAgo(400)), 201)
  const res = await ask(['insured.yes', 'pension.yes'])
  t.equal(res.statusCode, 200, 'exactly maxAgeDays old still answers; no maxAgeDays: no limit')
  t.same(res.json().answers.map((a: { answer: string }) => a.answer), ['yes', 'yes'])
  const h = await health('insured')
  t.match(h, { status: 'fresh', asOf: daysAgo(30), ageDays: 30, maxAgeDays: 30, stale: false, rows: 6 })
  t.match(h.lastLoad, { status: 'active', finishedAt: String })
  t.match(await health('pension'), { status: 'fresh', ageDays: 400, maxAgeDays: null, stale: false })
})

t.test('past maxAgeDays every question over the connector is refused whole, audited, never no', async (t) => {
  t.equal(await load('insured', daysAgo(31)), 201)
  const before = await env.database.query<{ n: number }>(`select count(*)::int as n from audit_entries`)
  const res = await ask(['pension.yes', 'insured.no'])
  t.equal(res.statusCode, 503)
  const problem = res.json()
  t.equal(problem.code, 'CONNECTOR_STALE')
  t.match(problem.detail, /insured\.no.*31 days old.*30 days/)
  t.notOk('answers' in problem, 'no answer to the fresh connector\'s question either')
  const entries = await env.database.query<{ kind: string, code: string, question: string }>(
    `select kind, code, question from audit_entries where index >= $1 order by index`, [before[0]!.n])
  t.same(entries, [{ kind: 'refusal', code: 'CONNECTOR_STALE', question: 'insured.no' }], 'one refusal entry')
  t.match(await health('insured'), { status: 'stale', ageDays: 31, stale: true })
  t.equal((await ask(['pension.yes'])).statusCode, 200, 'other connectors still answer')
})

t.test('/metrics has each connector\'s age, rows, staleness and last load', async (t) => {
  t.equal(await load('empty', daysAgo(1), 'id_number,active\nnot-an-id,true\n'), 422)
  const text = (await env.app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(text, /shifou_connector_snapshot_age_days\{connector="insured"\} 31\n/)
  t.match(text, /shifou_connector_snapshot_age_days\{connector="pension"\} 400\n/)
  t.match(text, /shifou_connector_rows\{connector="insured"\} 6\n/)
  t.match(text, /shifou_connector_stale\{connector="insured"\} 1\n/)
  t.match(text, /shifou_connector_stale\{connector="pension"\} 0\n/)
  t.match(text, /shifou_connector_last_load_ok\{connector="insured"\} 1\n/)
  t.match(text, /shifou_connector_last_load_ok\{connector="empty"\} 0\n/)
  t.notMatch(text, /shifou_connector_snapshot_age_days\{connector="empty"\}/, 'no age without a snapshot')
})

t.test('a connector never loaded, and one whose last load failed', async (t) => {
  const h = await health('empty')
  t.match(h, { status: 'never-loaded', activeSnapshot: null, asOf: null, ageDays: null, stale: false, rows: 0 })
  t.match(h.lastLoad, { status: 'failed', code: 'REJECT_RATIO_EXCEEDED' })
  t.equal((await ask(['empty.yes'])).json().code, 'NO_ACTIVE_SNAPSHOT')
})

t.test('maxAgeDays is changed with the connector; null removes it, absent keeps it', async (t) => {
  const current = (await admin('GET', '/v1/connectors/insured')).json()
  const body = {
    department: current.department, title: current.title, kind: 'file', subject: current.subject,
    fields: current.fields
  }
  t.equal((await admin('PUT', '/v1/connectors/insured', body)).json().maxAgeDays, 30, 'absent keeps it')
  t.equal((await ask(['insured.yes'])).statusCode, 503)
  t.equal((await admin('PUT', '/v1/connectors/insured', { ...body, maxAgeDays: null })).json().maxAgeDays, null)
  t.equal((await ask(['insured.yes'])).statusCode, 200, 'answers again without a limit')
  t.equal((await admin('PUT', '/v1/connectors/insured', { ...body, maxAgeDays: 31 })).statusCode, 200)
  t.equal((await ask(['insured.yes'])).statusCode, 200, '31 days old within 31')
  t.equal((await admin('PUT', '/v1/connectors/insured', { ...body, maxAgeDays: -1 })).statusCode, 400)
  t.equal((await admin('PUT', '/v1/connectors/insured', { ...body, maxAgeDays: '30' })).statusCode, 400)
})
