/**
 * `shifou witness` as a separate process on loopback, spoken to over HTTP as a log speaks to it
 * (C2SP tlog-witness): it cosigns consistent extensions only, answers a stale old size with 409
 * and its size, refuses an inconsistent checkpoint, a bad proof, an unknown origin and a wrong key,
 * and remembers what it cosigned across a restart.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signCheckpoint } from '../../src/audit/checkpoint-note.ts'
import { EMPTY_ROOT } from '../../src/audit/hasher.ts'
import { cosignatureV1Verifier, parseCosignatureV1VerifierKey } from '../../src/crypto/cosignature.ts'
import {
  ed25519NoteVerifier, ed25519SignerFromSeed, ed25519VerifierKey, openNote
} from '../../src/crypto/signed-note.ts'
import { formatAddCheckpoint, originHash } from '../../src/witness/protocol.ts'
import { MemoryTree, startWitness } from '../helpers/witness.ts'

const run = promisify(execFile)
const ORIGIN = 'witness.test.shifou.local/audit'
const log = ed25519SignerFromSeed(ORIGIN, new Uint8Array(32).fill(0x31))
const OTHER = 'other.test.shifou.local/audit'
const other = ed25519SignerFromSeed(OTHER, new Uint8Array(32).fill(0x32))
const dir = mkdtempSync(join(tmpdir(), 'shifou-witness-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const args = ['--name', 'witness.test/w1', '--data-dir', dir, '--log', ed25519VerifierKey(log)]

async function publicKey (dataDir: string): Promise<string> {
  const bin = new URL('../../bin/shifou.js', import.meta.url).pathname
  const { stdout } = await run(process.execPath, [bin, 'witness', 'public-key', '--data-dir', dataDir])
  return stdout.trim()
}

interface Answer { status: number, type: string, body: string }

async function post (url: string, body: string | Buffer): Promise<Answer> {
  const res = await fetch(url + '/add-checkpoint', { method: 'POST', body })
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }
}

const note = (tree: MemoryTree, size = tree.leaves.length, signer = log, origin = ORIGIN): string =>
  signCheckpoint({ origin, size, root: size === 0 ? EMPTY_ROOT : tree.root(size) }, signer)
const add = (tree: MemoryTree, oldSize: number, size = tree.leaves.length): string =>
  formatAddCheckpoint({ oldSize, proof: tree.proof(oldSize, size), note: note(tree, size) })

t.test('cosigns consistent extensions, refuses the rest, remembers across restarts', async (t) => {
  let w = await startWitness(t, args)
  const wkey = parseCosignatureV1VerifierKey(w.verifierKey)
  t.ok(wkey, `prints a cosignature/v1 verifier key: ${w.verifierKey}`)
  t.equal(wkey?.name, 'witness.test/w1')
  const tree = new MemoryTree(10)

  // The first checkpoint: old size 0, no proof.
  const first = await post(w.url, add(tree, 0))
  t.equal(first.status, 200, first.body)
  t.match(first.body, /^\u2014 witness\.test\/w1 [A-Za-z0-9+/]+=*\n$/, 'one cosignature line')
  const cosigned = note(tree) + first.body
  const opened = openNote(cosigned, [ed25519NoteVerifier(log), cosignatureV1Verifier(wkey!)])
  t.ok(opened.ok && opened.verified.length === 2, 'the cosigned note verifies: log signature and cosignature')

  // The witness tells a log that does not know its size what it is: 409 with the size.
  const stale = await post(w.url, add(tree, 0))
  t.equal(stale.status, 409)
  t.equal(stale.type, 'text/x.tlog.size')
  t.equal(stale.body, '10\n')

  // A consistent extension from 10 to 25.
  tree.grow(15)
  const second = await post(w.url, add(tree, 10))
  t.equal(second.status, 200, second.body)

  // The same size again (same root) is cosigned again; the size it last cosigned stays 25.
  t.equal((await post(w.url, add(tree, 25))).status, 200, 'same size, same root: cosigned again')

  // Inconsistent checkpoints are refused with 422 and change nothing.
  const fork = new MemoryTree(25, 'forked')
  fork.grow(5, 'forked')
  const forked = await post(w.url, formatAddCheckpoint({ oldSize: 25, proof: fork.proof(25), note: note(fork) }))
  t.equal(forked.status, 422, 'a rewritten log (another tree, its own valid proof) is refused: ' + forked.body)
  const rewritten = await post(w.url, formatAddCheckpoint({ oldSize: 25, proof: [], note: note(fork, 25) }))
  t.equal(rewritten.status, 422, 'same size, another root: refused')
  t.match(rewritten.body, /rewritten/)
  tree.grow(5)
  const proof = tree.proof(25)
  proof[0] = new Uint8Array(proof[0]!).map((b, i) => (i === 0 ? b ^ 1 : b))
  const send = async (oldSize: number, proof: Uint8Array[], n: string): Promise<number> =>
    (await post(w.url, formatAddCheckpoint({ oldSize, proof, note: n }))).status
  t.equal(await send(25, proof, note(tree)), 422, 'a corrupted proof')
  t.equal(await send(25, tree.proof(25).slice(1), note(tree)), 422, 'a short proof')
  t.equal(await send(25, [], note(tree)), 422, 'no proof')
  const truncated = new MemoryTree(20)
  t.equal(await send(25, [], note(truncated)), 400, 'a smaller checkpoint (old size > size)')
  t.equal((await post(w.url, add(truncated, 20))).status, 409, 'a truncated log claiming size 20: 409, witness at 25')

  // Unknown log, wrong key, broken signature, malformed bodies.
  t.equal(await send(0, [], note(tree, 30, other, OTHER)), 404, 'unknown origin')
  const impostor = ed25519SignerFromSeed(ORIGIN, new Uint8Array(32).fill(0x33))
  t.equal(await send(25, tree.proof(25), note(tree, 30, impostor)), 403, 'signed by another key')
  const good = note(tree)
  const badSignature = good.slice(0, -10) + (good.at(-10) === 'A' ? 'B' : 'A') + good.slice(-9)
  t.equal(await send(25, tree.proof(25), badSignature), 403, 'a broken log signature')
  const malformed = [
    ['no blank line', 'old 25\n'],
    ['bad old line', add(tree, 25).replace('old 25', 'old 025')],
    ['a proof line that is not a hash', add(tree, 25).replace('\n\n', '\nnot-base64\n\n')],
    ['not UTF-8', Buffer.from([0xff, 0x0a, 0x0a])]
  ] as const
  for (const [what, body] of malformed) {
    t.equal((await post(w.url, body)).status, 400, what)
  }
  t.equal((await fetch(w.url + '/add-checkpoint')).status, 405, 'GET add-checkpoint')
  t.equal((await post(w.url, 'x'.repeat(64 * 1024))).status, 413, 'a body over the limit')

  // The monitoring endpoint serves the latest cosigned checkpoint: size 25, both signatures.
  const latest = await fetch(`${w.url}/${originHash(ORIGIN)}/checkpoint`)
  t.equal(latest.status, 200)
  const served = await latest.text()
  t.match(served, `${ORIGIN}\n25\n`)
  t.ok(openNote(served, [cosignatureV1Verifier(wkey!)]).ok, 'cosigned by the witness')
  t.ok(openNote(served, [ed25519NoteVerifier(log)]).ok, 'signed by the log')
  t.equal((await fetch(`${w.url}/${originHash(OTHER)}/checkpoint`)).status, 404, 'a log it never cosigned')

  // Restart: the state is in the data directory, written before each answer.
  t.match(readFileSync(join(dir, 'state.json'), 'utf8'), /"size": 25/)
  const before = w.verifierKey
  await w.stop()
  t.equal(await publicKey(dir), before, '`shifou witness public-key` prints the key it runs with')
  w = await startWitness(t, args)
  t.equal(w.verifierKey, before, 'the same key after a restart')
  t.equal((await post(w.url, add(tree, 0))).body, '25\n', 'after a restart it still knows size 25')
  t.equal((await post(w.url, add(tree, 25))).status, 200, 'and cosigns the extension 25 → 30')

  // kill -9 right after an answer: what was answered was already durable.
  w.process.kill('SIGKILL')
  await new Promise((resolve) => w.process.once('exit', resolve))
  w = await startWitness(t, args)
  t.equal((await post(w.url, add(tree, 0))).body, '30\n', 'after kill -9 it still knows size 30')
  await w.stop()
})

t.test('concurrent requests cannot roll the witness back', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'shifou-witness-race-'))
  t.teardown(() => rmSync(d, { recursive: true, force: true }))
  const w = await startWitness(t, ['--name', 'witness.test/race', '--data-dir', d, '--log', ed25519VerifierKey(log)])
  const tree = new MemoryTree(8)
  t.equal((await post(w.url, add(tree, 0))).status, 200)
  tree.grow(40)
  // Twenty extensions from size 8, at once: exactly one can be cosigned, the rest get 409.
  const sizes = Array.from({ length: 20 }, (_, i) => 9 + i * 2)
  const answers = await Promise.all(sizes.map(async (size) => await post(w.url, add(tree, 8, size))))
  t.equal(answers.filter((a) => a.status === 200).length, 1, 'one cosigned')
  t.equal(answers.filter((a) => a.status === 409).length, 19, 'the others told the new size')
  const winner = sizes[answers.findIndex((a) => a.status === 200)]!
  t.ok(answers.every((a) => a.status === 200 || a.body === `${winner}\n`), `every 409 names size ${winner}`)
  await w.stop()
})

t.test('a second witness on the same data directory is refused', async (t) => {
  const w = await startWitness(t, args)
  await t.rejects(startWitness(t, args), /another witness/)
  await w.stop()
})
