/**
 * Interoperability (issue 19): shifou's checkpoint notes and its witness's cosignatures open with
 * Go's golang.org/x/mod/sumdb/note, the reference implementation of C2SP signed-note, through
 * test/interop/checknote (note.Open with the log's Ed25519 verifier and a cosignature/v1 verifier
 * written against note.Verifier). The cosignature comes from a real `shifou witness` process.
 *
 * Needs Go and golang.org/x/mod (Debian: golang-go golang-golang-x-mod-dev; .ci/run installs
 * them). Without them this test fails: it is the only check against another implementation.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { signCheckpoint } from '../../src/audit/checkpoint-note.ts'
import { cosignatureV1Signer, cosignatureV1VerifierKey } from '../../src/crypto/cosignature.ts'
import { ed25519SignerFromSeed, ed25519VerifierKey, signNote } from '../../src/crypto/signed-note.ts'
import { formatAddCheckpoint } from '../../src/witness/protocol.ts'
import { MemoryTree, startWitness } from '../helpers/witness.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'shifou-interop-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const source = new URL('./checknote', import.meta.url).pathname
const GOPATH = process.env.SHIFOU_GOPATH ?? '/usr/share/gocode'

const ORIGIN = 'interop.test.shifou.local/audit'
const log = ed25519SignerFromSeed(ORIGIN, new Uint8Array(32).fill(0x61))

interface Result { code: number, out: string }

async function checknote (binary: string, note: string, ...keys: string[]): Promise<Result> {
  const file = join(dir, `note-${Math.random().toString(36).slice(2)}.txt`)
  writeFileSync(file, note)
  try {
    const { stdout } = await run(binary, [file, ...keys])
    return { code: 0, out: stdout }
  } catch (err) {
    const e = err as { code?: number, stdout?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? String(err) }
  }
}

t.test('Go\'s note package opens shifou\'s checkpoints and cosignatures', async (t) => {
  const binary = join(dir, 'checknote')
  try {
    await run('go', ['build', '-o', binary, '.'], {
      cwd: source,
      env: { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: join(dir, 'gocache'), GOFLAGS: '' }
    })
  } catch (err) {
    t.fail('cannot build test/interop/checknote with Go: install golang-go and golang-golang-x-mod-dev ' +
      `(apt-get install -y golang-go golang-golang-x-mod-dev): ${(err as Error).message}`)
    return
  }

  const w = await startWitness(t, ['--name', 'witness.interop/w1', '--data-dir', join(dir, 'witness'),
    '--log', ed25519VerifierKey(log)])
  const tree = new MemoryTree(1234)
  const note = signCheckpoint({ origin: ORIGIN, size: 1234, root: tree.root() }, log)
  const body = formatAddCheckpoint({ oldSize: 0, proof: [], note })
  const res = await fetch(w.url + '/add-checkpoint', { method: 'POST', body })
  t.equal(res.status, 200)
  const cosigned = note + await res.text()
  const logKey = ed25519VerifierKey(log)

  const both = await checknote(binary, cosigned, logKey, w.verifierKey)
  t.equal(both.code, 0, both.out)
  t.match(both.out, `verified ${ORIGIN} `)
  t.match(both.out, 'verified witness.interop/w1 ')
  t.match(both.out, `text "${ORIGIN}\\n1234\\n`)
  t.equal((await checknote(binary, note, logKey)).code, 0, 'the checkpoint alone, with the log key')

  // What Go must refuse, as shifou does.
  const changed = await checknote(binary, cosigned.replace('\n1234\n', '\n1235\n'), logKey, w.verifierKey)
  t.equal(changed.code, 1, 'another size: refused')
  t.match(changed.out, /invalid signature|verification failed/)
  const stranger = ed25519SignerFromSeed('witness.interop/w1', new Uint8Array(32).fill(0x62))
  const wrongKey = await checknote(binary, cosigned, logKey, cosignatureV1VerifierKey(stranger))
  t.equal(wrongKey.code, 1, 'the witness\'s name with another key: its cosignature is not taken as verified')
  // A cosignature made now by shifou's signer, checked by Go with the signer's key.
  const local = ed25519SignerFromSeed('witness.interop/local', new Uint8Array(32).fill(0x63))
  const byLocal = signNote(note.slice(0, note.indexOf('\n\n') + 1), [cosignatureV1Signer(local)])
  const withLocal = note + byLocal.slice(byLocal.indexOf('\n\n') + 2)
  const localKey = cosignatureV1VerifierKey(local)
  t.equal((await checknote(binary, withLocal, logKey, localKey)).code, 0, 'src/crypto/cosignature.ts directly')
  const blob = Buffer.from(withLocal.trimEnd().split(' ').pop()!, 'base64')
  blob.writeBigUInt64BE(blob.readBigUInt64BE(4) + 1n, 4)
  const shifted = withLocal.slice(0, withLocal.trimEnd().lastIndexOf(' ') + 1) + blob.toString('base64') + '\n'
  t.equal((await checknote(binary, shifted, logKey, localKey)).code, 1, 'a moved timestamp: refused')
  await w.stop()
})
