/**
 * The service and its witnesses (design §14.5): checkpoints go to a real `shifou witness` process,
 * come back cosigned and are published by GET /v1/audit/checkpoint; a witness that hangs or is
 * down never holds up an answer, is counted in /metrics and is caught up once it is back; a 409
 * is resolved with the witness's size.
 */
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AUDITOR, CALLER, build, TEST_CHECKPOINT_SEED, TEST_ORIGIN, type TestApp } from '../helpers/app.ts'
import { startWitness } from '../helpers/witness.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { openCheckpoint } from '../../src/audit/checkpoint-note.ts'
import { cosignatureV1Verifier, parseCosignatureV1VerifierKey } from '../../src/crypto/cosignature.ts'
import { ed25519SignerFromSeed, ed25519VerifierKey } from '../../src/crypto/signed-note.ts'
import { formatAddCheckpoint } from '../../src/witness/protocol.ts'
import type { Entry } from '../../src/audit/entry.ts'
import { writeCheckpoint } from '../../src/audit/checkpoint-store.ts'

const logKey = ed25519SignerFromSeed(TEST_ORIGIN, TEST_CHECKPOINT_SEED)
const dir = mkdtempSync(join(tmpdir(), 'shifou-witness-svc-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function until<T> (what: string, fn: () => Promise<T | null>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await fn()
    if (value !== null) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

interface Cosignature { witness: string, keyId: string, cosignedAt: string, signature: string }
interface CheckpointBody { size: number, note: string, cosignatures: Cosignature[] }

const checkpoint = async (a: TestApp): Promise<CheckpointBody> =>
  (await a.as(AUDITOR)('GET', '/v1/audit/checkpoint')).json()
const cosigned = async (a: TestApp, size: number): Promise<true | null> => {
  const cp = await checkpoint(a)
  return cp.size === size && cp.cosignatures.length > 0 ? true : null
}

/** Entries that change nothing but grow the log, then a checkpoint (as every 10 s in production). */
async function grow (a: TestApp, n: number): Promise<void> {
  const entry = { kind: 'change' as const, actor: { sub: 'ops-1', role: 'admin' as const }, detail: { test: true } }
  await a.app.audit.append(Array.from({ length: n }, () => entry))
  await a.app.audit.checkpoint()
}

async function metric (a: TestApp, name: string, labels: string): Promise<number> {
  const text = (await a.app.inject({ method: 'GET', url: '/metrics' })).body
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

t.test('checkpoints are cosigned and published; a 409 is resolved with the witness\'s size', async (t) => {
  const port = await freePort()
  const witnessArgs = ['--name', 'witness.test/svc', '--data-dir', dir, '--log', ed25519VerifierKey(logKey),
    '--port', String(port)]
  let w = await startWitness(t, witnessArgs)
  const key = parseCosignatureV1VerifierKey(w.verifierKey)!
  const a = await build(t, { witnesses: [{ name: 'w1', url: w.url, key }] })

  await grow(a, 5)
  const first = await until('a cosignature', async () => {
    const cp = await checkpoint(a)
    return cp.cosignatures.length > 0 ? cp : null
  })
  t.equal(first.size, 5)
  t.equal(first.cosignatures[0]!.witness, 'witness.test/svc')
  t.match(first.cosignatures[0]!.cosignedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  const opened = openCheckpoint(first.note, logKey, { origin: TEST_ORIGIN, cosigners: [cosignatureV1Verifier(key)] })
  t.ok(opened.ok, 'the published note verifies with the log key')
  t.equal(opened.ok ? opened.checkpoint.cosignatures.length : 0, 1, 'and carries the witness\'s verified cosignature')
  t.ok(first.note.endsWith(first.cosignatures[0]!.signature + '\n'), 'the note ends with the cosignature line')
  const statements = ['update audit_cosignatures set size = size', 'delete from audit_cosignatures',
    'truncate audit_cosignatures']
  for (const statement of statements) {
    await t.rejects(a.database.query(statement), { message: /append-only/ }, `append-only: ${statement}`)
  }

  // Another process has fed the witness a newer checkpoint (here the test, with a checkpoint
  // written behind the feeder's back): the service's next request names an old size the witness no
  // longer has, gets 409 and resends with a proof from the witness's size.
  await grow(a, 3)
  await until('cosigned 8', async () => await cosigned(a, 8))
  await a.app.audit.append([{ kind: 'change', actor: { sub: 'ops-1', role: 'admin' }, detail: { n: 9 } }])
  const nine = await writeCheckpoint(a.database, a.app.checkpoints, null)
  t.equal(nine?.size, 9)
  const direct = await fetch(w.url + '/add-checkpoint', {
    method: 'POST',
    body: formatAddCheckpoint({ oldSize: 8, proof: await proof(a, 8, 9), note: nine!.note })
  })
  t.equal(direct.status, 200, 'the other process got 9 cosigned')
  await grow(a, 2)
  await until('cosigned 11', async () => await cosigned(a, 11))
  t.equal(await metric(a, 'shifou_witness_requests_total', 'witness="w1",result="conflict"'), 1, 'one 409, resolved')

  // The witness goes down: answers go on, failures are counted, and it is caught up when back.
  await w.stop()
  const before = await metric(a, 'shifou_witness_failures_total', 'witness="w1"')
  await grow(a, 4)
  t.equal((await checkpoint(a)).size, 15, 'the checkpoint is published without a cosignature while the witness is down')
  const failures = async (): Promise<number> => await metric(a, 'shifou_witness_failures_total', 'witness="w1"')
  await until('a counted failure', async () => (await failures() > before ? true : null))
  const unavailable = await metric(a, 'shifou_witness_requests_total', 'witness="w1",result="unavailable"')
  t.ok(unavailable >= 1, 'counted as unavailable')
  w = await startWitness(t, witnessArgs)
  await until('the retry after the witness is back', async () => await cosigned(a, 15))
  t.pass('checkpoint 15 cosigned by the retry, without a new checkpoint')
  // The feeder sets the gauge once the cosignature's insert has returned: a poll of the table can
  // see the row a moment before.
  const gauge = async (): Promise<number> => await metric(a, 'shifou_witness_cosigned_size', 'witness="w1"')
  await until('the cosigned-size gauge at 15', async () => (await gauge() === 15 ? true : null))
  t.pass('the cosigned-size gauge reached 15')
  await w.stop()
})

/** A consistency proof from the service's own API, as a second service process would compute it. */
async function proof (a: TestApp, from: number, to: number): Promise<Uint8Array[]> {
  const res = await a.as(AUDITOR)('GET', `/v1/audit/proofs/consistency?from=${from}&to=${to}`)
  return (res.json().proof as string[]).map((p) => new Uint8Array(Buffer.from(p, 'base64')))
}

t.test('a witness that hangs holds up no answer', async (t) => {
  // A witness that accepts connections and never answers: the worst kind of down.
  const sockets: Socket[] = []
  const hung = createServer((socket) => { sockets.push(socket) })
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); hung.close() })
  const url = `http://127.0.0.1:${(hung.address() as { port: number }).port}`
  const { name, publicKey } = ed25519SignerFromSeed('witness.test/hung', new Uint8Array(32).fill(1))
  const key = { name, publicKey }
  const a = await build(t, { witnesses: [{ name: 'hung', url, key }], checkpointEntries: 1 })
  const { people } = await loadDemo(a.database, a.keyring, 20)
  await a.app.audit.checkpoint()
  await until('a request to the hung witness', async () => (sockets.length > 0 ? true : null))
  for (let i = 0; i < 5; i++) {
    const res = await a.ask(CALLER, {
      idNumber: people[i]!.idNumber,
      questions: { id: 'tax.paid_in_year', params: { year: 2025 } },
      caseId: `W-${i}`
    })
    t.equal(res.statusCode, 200, `answer ${i} while the witness hangs`)
  }
  t.ok(sockets.some((s) => !s.destroyed), 'the witness request was still open while the answers were given')
  const entries = (await a.as(AUDITOR)('GET', '/v1/audit/entries?caseId=W-4')).json().entries as Entry[]
  t.equal(entries.length, 1, 'each answer has its audit entry')
  t.equal((await a.as(AUDITOR)('GET', '/v1/audit/checkpoint')).statusCode, 200, 'the checkpoint is served')
})
