/**
 * Ed25519 signatures on a worker thread (src/crypto/ed25519-thread.ts): the same bytes as signing
 * here, in the order asked for, whether asked for in one moment or across many; and a worker that
 * cannot start, stops mid-way or is closed leaves the work to this thread, signatures unchanged.
 */
import t from 'tap'
import { generateKeyPairSync, sign } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { Ed25519Thread, SIGN_HERE, type Ed25519Signer, type IdentifiedKey } from '../../src/crypto/ed25519-thread.ts'

const keys: IdentifiedKey[] = ['k1', 'k2'].map((id) => ({ id, privateKey: generateKeyPairSync('ed25519').privateKey }))
const message = (i: number): Uint8Array => Buffer.from(`{"idx":${i},"q":"tax.paid"}`)
const expected = (i: number): string => sign(null, message(i), keys[i % 2]!.privateKey).toString('hex')
const hex = (s: Uint8Array): string => Buffer.from(s).toString('hex')

/** 120 signatures: 100 asked for in one moment, then 20 one after another. */
async function signSome (signer: Ed25519Signer): Promise<string[]> {
  const together = await Promise.all(Array.from({ length: 100 },
    async (_, i) => await signer.sign(message(i), keys[i % 2]!)))
  const out = together.map(hex)
  for (let i = 100; i < 120; i++) out.push(hex(await signer.sign(message(i), keys[i % 2]!)))
  return out
}

const all = Array.from({ length: 120 }, (_, i) => expected(i))

t.test('signed on the worker: the same bytes, in order', async (t) => {
  const thread = new Ed25519Thread()
  t.teardown(async () => { await thread.close() })
  t.same(await signSome(thread), all, 'every signature is the one signing here gives')
  t.equal(thread.signedOnWorker, 120, 'all made on the worker')
  t.same(await signSome(SIGN_HERE), all, 'and SIGN_HERE signs here')
})

/** The nice value of each of this process's threads, by thread id (Linux). */
function niceness (): Map<number, number> {
  return new Map(readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    // Field 19 of proc(5)'s stat, counted after the command name's closing parenthesis (field 2).
    return [Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]
  }))
}

/** SIGNER_NICENESS of src/crypto/ed25519-worker.ts (a module that runs only as a worker). */
const SIGNER_NICENESS = 10

t.test('the worker signs at nice 10; the answering thread keeps its priority', {
  skip: process.platform === 'linux' ? false : 'nice values are per thread on Linux only'
}, async (t) => {
  const before = [...niceness().values()].filter((n) => n === SIGNER_NICENESS).length
  const thread = new Ed25519Thread()
  t.teardown(async () => { await thread.close() })
  t.same(hex(await thread.sign(message(0), keys[0]!)), expected(0))
  const after = niceness()
  t.equal(after.get(process.pid), 0, 'the answering thread is at nice 0')
  t.equal([...after.values()].filter((n) => n === SIGNER_NICENESS).length, before + 1, 'one thread more at nice 10')
})

t.test('a worker that cannot start: signed here', async (t) => {
  const thread = new Ed25519Thread(async () => { throw new Error('no worker') })
  t.same(await signSome(thread), all)
})

t.test('a worker that stops with work sent to it: that work and the rest signed here', async (t) => {
  let started = 0
  const thread = new Ed25519Thread(async () => {
    started++
    // Takes its first batch and exits without answering.
    return new Worker('require("node:worker_threads").parentPort.once("message", () => process.exit(3))',
      { eval: true })
  })
  t.same(await signSome(thread), all)
  t.equal(started, 1, 'a stopped worker is not started again')
  t.equal(thread.signedOnWorker, 0, 'none made on the worker')
})

t.test('closed: later signatures are made here', async (t) => {
  const thread = new Ed25519Thread()
  t.equal(hex(await thread.sign(message(0), keys[0]!)), expected(0))
  await thread.close()
  t.same(await signSome(thread), all)
})

t.test('a key that cannot sign fails its signature only', async (t) => {
  const thread = new Ed25519Thread()
  t.teardown(async () => { await thread.close() })
  // A public key where the private one belongs.
  const wrong = { id: 'public', privateKey: generateKeyPairSync('ed25519').publicKey }
  const [good, bad] = await Promise.allSettled([thread.sign(message(0), keys[0]!), thread.sign(message(1), wrong)])
  t.equal(good.status === 'fulfilled' ? hex(good.value) : null, expected(0), 'the other signature of the batch')
  t.equal(bad.status, 'rejected', 'the signature with a key that cannot sign fails')
  t.equal(hex(await thread.sign(message(2), keys[0]!)), expected(2), 'and signing goes on')
})
