/**
 * The hub over a live department agent (design §14.3, issue 20), with a real `shifou agent`
 * process on loopback: every answer equals the answer from the same file loaded as a snapshot
 * (people behind rejected rows refused alike); the audit entry names the agent and its snapshot;
 * an agent that is killed makes its questions 503 CONNECTOR_UNAVAILABLE, never `no`, and answers
 * resume when it is back; an agent whose answers are not signed by its registered key is refused;
 * and no row of the agent's data is anywhere in the hub's database.
 */
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, ADMIN } from '../helpers/app.ts'
import { closedPort, shifou } from '../helpers/cli.ts'
import { startAgent, type RunningAgent } from '../helpers/agent.ts'
import { exportAgentKey } from '../../src/agent/key.ts'
import { officeFiles } from '../fixtures/office-file.ts'
import type { TokenClaims } from '../../src/tokens.ts'

const { as, keyring, database } = await build(t)
const admin = as(ADMIN)
const CALLER: TokenClaims = { sub: 'housing', role: 'caller' }
const caller = as(CALLER)
const dir = mkdtempSync(join(tmpdir(), 'shifou-hub-agent-'))
const files = officeFiles(150, 21)
const col = files.columns
const data = join(dir, '婚姻登记.csv')
writeFileSync(data, files.marriageCsv)
const YESTERDAY = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)

async function ok (res: { statusCode: number, body: string }, status: number): Promise<void> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}

const subject = { field: 'id_number', type: 'cn_resident_id', column: col.id }
const fields = [
  { name: 'name', type: 'name', column: col.name },
  { name: 'status', type: 'string', column: col.status },
  { name: 'registered', type: 'date', column: col.registered },
  { name: 'valid', type: 'boolean', column: col.valid }
]
const declaration = { department: 'civil', title: '婚姻登记', subject, fields, maxRejectRatio: 0.2 }

// The department: the agent's key pair first (its public key is registered on the hub).
const agentDir = join(dir, 'agent')
const publicKeyRun = await shifou(['agent', 'public-key', '--data-dir', agentDir], { cwd: dir })
const agentPublicKey = publicKeyRun.stdout.trim()
const port = await closedPort()
const agentUrl = `http://127.0.0.1:${port}`

await ok(await admin('POST', '/v1/departments', { id: 'civil', name: '民政局' }), 201)
await ok(await admin('POST', '/v1/connectors', { id: 'marriage', kind: 'file', ...declaration }), 201)
await ok(await admin('POST', '/v1/connectors', {
  id: 'marriage-agent', kind: 'agent', agent: { url: agentUrl, publicKey: agentPublicKey }, ...declaration
}), 201)
// The same agent registered with another key: its answers must not be taken.
await ok(await admin('POST', '/v1/connectors', {
  id: 'marriage-forged',
  kind: 'agent',
  agent: { url: agentUrl, publicKey: 'A'.repeat(42) + 'E' },
  ...declaration
}), 201)
const QUESTIONS = [
  { suffix: 'married', when: { any: { status: { eq: '已婚' }, valid: { eq: true } } } },
  { suffix: 'name', when: { any: { name: { eq: { subject: 'name' } } } } },
  { suffix: 'two', when: { count: { gte: 2 } } }
]
for (const c of ['marriage', 'marriage-agent', 'marriage-forged']) {
  for (const q of QUESTIONS) {
    const question = { id: `${c}.${q.suffix}`, connector: c, title: q.suffix, when: q.when }
    await ok(await admin('POST', '/v1/questions', question), 201)
  }
}
await ok(await admin('POST', '/v1/clients', {
  id: 'housing',
  name: '住房保障系统',
  questions: ['marriage', 'marriage-agent', 'marriage-forged'].flatMap((c) => QUESTIONS.map((q) => `${c}.${q.suffix}`)),
  purposes: ['housing-subsidy'],
  quotas: { requestsPerMinute: 1_000_000, subjectsPerDay: 1_000_000, subjectsPerCase: 100, namesPerSubjectPerDay: 100 }
}), 201)
await ok(await admin('PUT', `/v1/connectors/marriage/snapshot?asOf=${YESTERDAY}`, files.marriageCsv,
  { 'content-type': 'text/csv' }), 201)

const hubKey = (await admin('GET', '/v1/agent-key')).json().publicKey as string
const agentKey = exportAgentKey(keyring, { id: 'marriage-agent', subjectColumn: col.id, subjectField: 'id_number',
  fields, maxRejectRatio: 0.2 })
const run = async (): Promise<RunningAgent> => await startAgent(t, {
  connector: 'marriage-agent', data, hubKey, agentKey, dataDir: agentDir, port, extra: ['--as-of', YESTERDAY]
})
let agent = await run()

let cases = 0
async function ask (connector: string, person: { idNumber: string, name: string }): Promise<string> {
  const res = await caller('POST', '/v1/verifications', {
    subject: person,
    questions: QUESTIONS.map((q) => ({ id: `${connector}.${q.suffix}` })),
    purpose: 'housing-subsidy',
    caseId: 'HS-' + ++cases
  })
  const body = res.json()
  return res.statusCode === 200
    ? (body.answers as Array<{ answer: string, asOf: string }>).map((a) => a.answer + '@' + a.asOf).join(',')
    : `${res.statusCode} ${String(body.code)}`
}

t.test('every answer from the agent equals the answer from the same file loaded as a snapshot', async (t) => {
  let refused = 0
  let mismatches = 0
  for (const person of files.people) {
    const fromFile = await ask('marriage', person)
    const fromAgent = await ask('marriage-agent', person)
    if (fromFile !== fromAgent) mismatches++
    if (fromFile.startsWith('409')) refused++
  }
  t.equal(mismatches, 0, 'no answer differs')
  t.ok(refused > 0, `people behind rejected rows are refused alike (${refused})`)
  t.equal(files.people.length * 2, cases)
})

t.test('the audit entry of an answer names the agent and the agent\'s snapshot', async (t) => {
  const person = files.people.find((p) => files.marriage.has(p.idNumber) &&
    !files.marriageBad.some((b) => b.subject === p.idNumber))!
  t.match(await ask('marriage-agent', person), /^(yes|no)@/)
  const auditor = as({ sub: 'aud', role: 'auditor' })
  const page = await auditor('GET', '/v1/audit/entries?question=marriage-agent.two&limit=1000')
  const entries = page.json().entries as Array<{ index: number, snapshot: number, detail: unknown }>
  const entry = entries.sort((a, b) => b.index - a.index)[0]!
  t.ok(entry, 'the answer\'s entry')
  t.equal(entry.snapshot, 1, 'the agent\'s snapshot')
  t.match(entry.detail, { agent: agentPublicKey })
})

t.test('an agent that is down refuses its questions with 503, never no; answers resume when it is back', async (t) => {
  const person = files.people[0]!
  await agent.stop('SIGKILL')
  t.equal(await ask('marriage-agent', person), '503 CONNECTOR_UNAVAILABLE')
  t.equal(await ask('marriage-agent', person), '503 CONNECTOR_UNAVAILABLE')
  t.equal(await ask('marriage', person) === '503 CONNECTOR_UNAVAILABLE', false, 'other connectors answer')
  agent = await run()
  // The breaker lets a trial through within a second.
  let answer = ''
  for (let i = 0; i < 30; i++) {
    answer = await ask('marriage-agent', person)
    if (!answer.startsWith('503')) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  t.equal(answer, await ask('marriage', person))
})

t.test('answers not signed by the registered key are refused (503), never taken', async (t) => {
  t.equal(await ask('marriage-forged', files.people[0]!), '503 CONNECTOR_UNAVAILABLE')
})

t.test('the hub holds no row of the agent\'s data', async (t) => {
  t.equal((await admin('PUT', `/v1/connectors/marriage-agent/snapshot?asOf=${YESTERDAY}`, files.marriageCsv,
    { 'content-type': 'text/csv' })).statusCode, 409, 'no snapshot can be loaded into the hub')
  const hashes = files.people.map((p) => keyring.connector('marriage-agent', 1).subjectHash(p.idNumber).toString('hex'))
  const tables = await database.query<{ name: string }>(`select quote_ident(table_name) as name
    from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`)
  let dumped = ''
  for (const { name } of tables) {
    for (const row of await database.query<{ r: string }>(`select t::text as r from ${name} t`)) dumped += row.r + '\n'
  }
  t.ok(dumped.length > 10_000, 'the dump holds the hub\'s data')
  t.ok(hashes.some((h) => !dumped.includes(h)), 'sanity: hashes are searched as hex')
  t.equal(hashes.filter((h) => dumped.includes(h)).length, 0, 'no subject hash of the agent\'s connector')
  const fileHashes = files.people.map((p) => keyring.connector('marriage', 1).subjectHash(p.idNumber).toString('hex'))
  t.ok(fileHashes.filter((h) => dumped.includes(h)).length > 0, 'while the file connector\'s are there')
})
