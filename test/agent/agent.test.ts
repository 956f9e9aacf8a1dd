/**
 * The department agent on its own (design §14.3): a real `shifou agent` process over a messy
 * office file, asked by a hub-signed request as the hub asks; what it refuses (another key, a
 * replayed or altered request, an unsigned one); its answers signed and bound to the request; and
 * its own log of what it answered.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Keyring } from '../../src/keys/keyring.ts'
import { exportAgentKey, parseAgentKey } from '../../src/agent/key.ts'
import { signingKeyFromSeed } from '../../src/agent/identity.ts'
import {
  LOOKUP_PATH, RESPONSE_COMPONENTS, signRequest, verifySigned, type LookupResponse
} from '../../src/agent/protocol.ts'
import { parsePublicKey } from '../../src/agent/identity.ts'
import { officeFiles } from '../fixtures/office-file.ts'
import { startAgent } from '../helpers/agent.ts'
import { shifou } from '../helpers/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'shifou-agent-'))
const keyring = new Keyring(new Map([[1, randomBytes(32)]]))
const files = officeFiles(120, 20)
const col = files.columns
const connector = {
  id: 'marriage',
  subjectField: 'id_number',
  subjectColumn: col.id,
  fields: [
    { name: 'name', type: 'name', column: col.name },
    { name: 'status', type: 'string', column: col.status },
    { name: 'registered', type: 'date', column: col.registered },
    { name: 'valid', type: 'boolean', column: col.valid }
  ],
  maxRejectRatio: 0.2
}
const agentKey = exportAgentKey(keyring, connector)
const data = join(dir, '婚姻登记.csv')
writeFileSync(data, files.marriageCsv)
const hub = signingKeyFromSeed(randomBytes(32))
const agent = await startAgent(t, {
  connector: 'marriage', data, hubKey: hub.publicKey, agentKey, dataDir: join(dir, 'agent')
})
const agentPublic = parsePublicKey(agent.publicKey)!

t.test('the exported key holds the connector\'s keys only, and reads back', async (t) => {
  const parsed = parseAgentKey(agentKey)
  t.same(parsed.connector, { ...connector, maxRecordsPerSubject: 1000 },
    'a key of a connector without the setting carries its default')
  t.same(Object.keys(parsed.fields), ['name'])
  const derived = keyring.connector('marriage', 1).material(['name'])
  t.same(Buffer.from(parsed.subject), Buffer.from(derived.subject))
  t.throws(() => parseAgentKey('shifou-agent-key-v1.bm90IGpzb24'), /not JSON/)
  t.throws(() => parseAgentKey('abc'), /does not start with/)
})

interface Posted { status: number, res: Response, bytes: Buffer }
async function post (body: Buffer, headers: Record<string, string>): Promise<Posted> {
  const res = await fetch(new URL(LOOKUP_PATH, agent.url), { method: 'POST', headers, body })
  return { status: res.status, res, bytes: Buffer.from(await res.arrayBuffer()) }
}

const hashOf = (id: string): string => keyring.connector('marriage', 1).subjectHash(id).toString('hex')

t.test('a signed lookup is answered with the declared fields, signed and bound to the request', async (t) => {
  const married = files.people.find((p) => (files.marriage.get(p.idNumber)?.length ?? 0) > 0 &&
    !files.marriageBad.some((b) => b.subject === p.idNumber))!
  const nobody = files.people.find((p) => !files.marriage.has(p.idNumber) &&
    !files.marriageBad.some((b) => b.subject === p.idNumber))!
  const body = Buffer.from(JSON.stringify({
    connector: 'marriage',
    lookups: [{ subject: hashOf(married.idNumber), verification: 'v-1', caller: 'housing', purpose: 'housing-subsidy' },
      { subject: hashOf(nobody.idNumber) }]
  }))
  const url = new URL(LOOKUP_PATH, agent.url)
  const { headers, nonce } = signRequest(url, body, hub, 'hub')
  const { status, res, bytes } = await post(body, headers)
  t.equal(status, 200, bytes.toString())
  const checked = verifySigned({ status, header: (n) => res.headers.get(n) ?? undefined }, bytes, agentPublic,
    agent.publicKey, RESPONSE_COMPONENTS)
  t.same(checked, { nonce })
  const answer = JSON.parse(bytes.toString()) as LookupResponse
  t.equal(answer.results.length, 2)
  const truth = files.marriage.get(married.idNumber)!
  t.equal(answer.results[0]!.records.length, truth.length)
  t.same(answer.results[0]!.records.map((r) => r.status).sort(), truth.map((r) => r.status).sort())
  t.ok(answer.results[0]!.records.every((r) => Object.keys(r).every((k) =>
    ['name', 'status', 'registered', 'valid'].includes(k))), 'only declared fields')
  t.same(answer.results[1], { records: [], unreadable: false })
  t.match(answer.snapshot, { id: Number, keyVersion: 1 })

  // The same request again: replayed.
  t.equal((await post(body, headers)).status, 401)
})

t.test('a subject behind a rejected row is reported unreadable', async (t) => {
  const bad = files.marriageBad.find((b) => b.subject !== null)!
  const body = Buffer.from(JSON.stringify({ connector: 'marriage', lookups: [{ subject: hashOf(bad.subject!) }] }))
  const { headers } = signRequest(new URL(LOOKUP_PATH, agent.url), body, hub, 'hub')
  const { status, bytes } = await post(body, headers)
  t.equal(status, 200)
  t.equal((JSON.parse(bytes.toString()) as LookupResponse).results[0]!.unreadable, true)
})

t.test('forged, altered and unsigned requests are refused', async (t) => {
  const body = Buffer.from(JSON.stringify({ connector: 'marriage', lookups: [{ subject: 'ab'.repeat(32) }] }))
  const url = new URL(LOOKUP_PATH, agent.url)
  const forger = signingKeyFromSeed(randomBytes(32))
  const forged = await post(body, signRequest(url, body, forger, 'hub').headers)
  t.equal(forged.status, 401)
  t.match(forged.bytes.toString(), /does not verify/)
  const changed = Buffer.from(body.toString().replace('ab', 'cd'))
  const altered = await post(changed, signRequest(url, body, hub, 'hub').headers)
  t.equal(altered.status, 401)
  t.match(altered.bytes.toString(), /not the one signed/)
  const unsigned = await post(body, { 'content-type': 'application/json' })
  t.equal(unsigned.status, 401)
  const wrongConnector = Buffer.from(JSON.stringify({ connector: 'tax', lookups: [{ subject: 'ab'.repeat(32) }] }))
  t.equal((await post(wrongConnector, signRequest(url, wrongConnector, hub, 'hub').headers)).status, 404)
})

t.test('the agent\'s own log holds every lookup it answered, and its load', async (t) => {
  await agent.stop()
  const run = await shifou(['agent', 'log', '--data-dir', join(dir, 'agent')], {
    cwd: dir, env: { SHIFOU_AGENT_KEY: agentKey }
  })
  t.equal(run.code, 0, run.stderr)
  const entries = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.same(entries.map((e) => e.kind), ['load', 'lookup', 'lookup', 'lookup'])
  t.match(entries[1], { verification: 'v-1', caller: 'housing', purpose: 'housing-subsidy', code: 'FOUND' })
  t.match(entries[2], { code: 'NOT_FOUND' })
  t.match(entries[3], { code: 'UNREADABLE' })
  // An ID number stands alone; a hex hash in the log may hold 18 decimal digits in a row (one did).
  t.notMatch(run.stdout, /(?<![0-9a-fA-F])\d{17}[\dXx](?![0-9a-fA-F])/, 'no ID number in the log')
  t.notOk(files.people.some((p) => run.stdout.includes(p.idNumber)), 'none of the people\'s ID numbers')
})
