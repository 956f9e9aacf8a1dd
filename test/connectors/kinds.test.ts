/**
 * Connector kinds (src/connectors/kinds/): each kind's lookups go to its record source; a kind the
 * service does not know is refused with 503 CONNECTOR_UNAVAILABLE, audited — never a `no`.
 */
import t from 'tap'
import { build } from '../helpers/app.ts'
import { callerOf } from '../helpers/claims.ts'
import { fileConnector, register, UNLIMITED } from '../helpers/registry.ts'
import { KINDS, kindOf } from '../../src/connectors/kinds/index.ts'
import { makePeople } from '../../src/demo/population.ts'

t.test('every kind is named once, and file is one of them', async (t) => {
  t.equal(new Set(KINDS.map((k) => k.name)).size, KINDS.length)
  t.equal(kindOf('file')?.uploads, true)
  t.equal(kindOf('nothing'), undefined)
})

t.test('a connector of a kind this service does not know is refused, not answered', async (t) => {
  const env = await build(t)
  const CLIENT = callerOf('kinds-tests')
  await register(env, {
    departments: [{ id: 'estate', name: 'Real estate' }],
    connectors: [fileConnector('homes', 'estate', [{ name: 'city', type: 'string' }])],
    questions: [{ id: 'homes.none', connector: 'homes', title: 'No home', when: { not: { any: {} } } }],
    clients: [{ id: CLIENT.sub, questions: ['homes.none'], purposes: ['check'], quotas: UNLIMITED }]
  })
  const [p] = makePeople(1, 3)
  const load = await env.as({ sub: 'admin-1', role: 'admin' })('PUT', '/v1/connectors/homes/snapshot?asOf=2026-01-02',
    `id_number,city\n${p!.idNumber},Guangzhou\n`, { 'content-type': 'text/csv' })
  t.equal(load.statusCode, 201)
  const ask = async (): Promise<{ statusCode: number, json: () => { code?: string, answers?: unknown[] } }> =>
    await env.ask(CLIENT, { idNumber: p!.idNumber, questions: ['homes.none'], purpose: 'check', caseId: 'k-1' })
  t.equal((await ask()).statusCode, 200, 'a file connector answers')
  await env.database.query(`update connectors set kind = 'carrier-pigeon' where id = 'homes'`)
  env.app.registry.invalidate()
  const res = await ask()
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'CONNECTOR_UNAVAILABLE')
  const [entry] = await env.database.query<{ code: string }>(
    `select code from audit_entries where kind = 'refusal' order by index desc limit 1`)
  t.equal(entry?.code, 'CONNECTOR_UNAVAILABLE', 'the refusal is an audit entry')
})
