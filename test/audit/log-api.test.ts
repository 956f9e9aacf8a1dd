import t from 'tap'
import { build, AUDITOR, TEST_CHECKPOINT_SEED, TEST_ORIGIN } from '../helpers/app.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { openCheckpoint } from '../../src/audit/checkpoint-note.ts'
import { ed25519SignerFromSeed } from '../../src/crypto/signed-note.ts'
import { leafHash } from '../../src/audit/hasher.ts'
import { verifyConsistency, verifyInclusion } from '../../src/audit/proof-verify.ts'
import { verifyLog } from '../../src/audit/log-check.ts'

const CALLER = { sub: DEMO_CLIENT, role: 'caller' as const }
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

t.test('checkpoints, entries, proofs and export through the API', async (t) => {
  const { database, keyring, as, app } = await build(t, { checkpointEntries: 10 })
  const { people } = await loadDemo(database, keyring, 60)
  const caller = as(CALLER)
  const auditor = as(AUDITOR)
  const answers: number[] = []
  for (const p of people.slice(0, 20)) {
    const res = await caller('POST', '/v1/verifications', { subject: { idNumber: p.idNumber }, questions: [{ id: 'property.holds' }], purpose: DEMO_PURPOSE, caseId: 'C-' + p.idNumber.slice(-4) })
    answers.push(res.json().answers[0].auditIndex)
  }
  await app.audit.checkpoint()

  const key = await as(CALLER)('GET', '/v1/audit/checkpoint-key')
  t.equal(key.statusCode, 200)
  t.equal(key.json().origin, TEST_ORIGIN)
  const signer = ed25519SignerFromSeed(TEST_ORIGIN, TEST_CHECKPOINT_SEED)
  t.equal(key.json().publicKey, Buffer.from(signer.publicKey).toString('base64'))

  const cpRes = await auditor('GET', '/v1/audit/checkpoint')
  t.equal(cpRes.statusCode, 200, cpRes.body)
  const cp = cpRes.json()
  const opened = openCheckpoint(cp.note, { name: TEST_ORIGIN, publicKey: signer.publicKey }, { origin: TEST_ORIGIN })
  t.ok(opened.ok, 'the checkpoint note verifies with the published key')
  t.equal(opened.ok && opened.checkpoint.size, cp.size)

  for (const index of [0, answers[0]!, answers[19]!, cp.size - 1]) {
    const entry = (await auditor('GET', `/v1/audit/entries/${index}`)).json()
    t.same(Buffer.from(leafHash(b(entry.leaf))), Buffer.from(b(entry.leafHash)), 'the leaf hash is SHA-256(0x00 ‖ leaf bytes)')
    t.equal(JSON.parse(Buffer.from(entry.leaf, 'base64').toString()).index, index)
    const proof = (await auditor('GET', `/v1/audit/proofs/inclusion?index=${index}&size=${cp.size}`)).json()
    t.ok(verifyInclusion(index, cp.size, b(proof.leafHash), proof.proof.map(b), b(cp.root)), `entry ${index} is in the signed tree`)
  }
  // A caller reads its own entries only.
  t.equal((await caller('GET', `/v1/audit/entries/${answers[3]}`)).statusCode, 200)
  t.equal((await caller('GET', '/v1/audit/entries/0')).statusCode, 403)

  const older = (await auditor('GET', `/v1/audit/entries/5`)).json()
  t.ok(older)
  const consistency = (await auditor('GET', `/v1/audit/proofs/consistency?from=7&to=${cp.size}`)).json()
  const root7 = (await import('../../src/audit/tree-store.ts')).storedRoot
  t.ok(verifyConsistency(7, cp.size, consistency.proof.map(b), await root7(database, 7), b(cp.root)), 'the size-7 tree is a prefix of the signed one')
  t.equal((await auditor('GET', `/v1/audit/proofs/inclusion?index=${cp.size}&size=${cp.size}`)).statusCode, 400)
  t.equal((await auditor('GET', `/v1/audit/proofs/consistency?from=0&to=3`)).statusCode, 400)

  const jsonl = await auditor('GET', '/v1/audit/export?format=jsonl')
  t.equal(jsonl.statusCode, 200)
  const lines = jsonl.body.trim().split('\n')
  t.ok(lines.length >= cp.size, 'every entry exported')
  t.same(JSON.parse(lines[answers[0]!]!).index, answers[0])
  const csv = await auditor('GET', '/v1/audit/export?format=csv&from=2000-01-01T00:00:00Z')
  t.equal(csv.statusCode, 200)
  t.match(csv.body.split('\n')[0], /^index,at,kind,/)
  t.equal((await auditor('GET', '/v1/audit/export?format=xml')).statusCode, 400)
  t.equal((await caller('GET', '/v1/audit/export?format=jsonl')).statusCode, 403)
  const exports = await database.query<{ n: number }>(`select count(*)::int as n from audit_entries where kind = 'export'`)
  t.equal(exports[0]!.n, 2, 'each export is an audit entry')

  const report = await verifyLog(database, { verifier: { name: TEST_ORIGIN, publicKey: signer.publicKey }, origin: TEST_ORIGIN })
  t.same(report.problem, null)
  t.ok(report.ok && report.checkpoints > 1, `${report.size} entries and ${report.checkpoints} checkpoints verify`)
})
