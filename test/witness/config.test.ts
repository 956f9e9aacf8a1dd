/**
 * SHIFOU_WITNESSES is checked at start: each mistake stops the service with a ConfigError naming
 * the entry and the fix, and never a key or URL's value.
 */
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { cosignatureV1VerifierKey } from '../../src/crypto/cosignature.ts'
import { ed25519SignerFromSeed, ed25519VerifierKey } from '../../src/crypto/signed-note.ts'

const dir = mkdtempSync(join(tmpdir(), 'shifou-witness-config-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const key = ed25519SignerFromSeed('witness.example.org/w1', new Uint8Array(32).fill(1))
const vkey = cosignatureV1VerifierKey(key)
const base = { SHIFOU_DATA_DIR: join(dir, 'data') }

function withFile (content: unknown): NodeJS.ProcessEnv {
  const file = join(dir, `w-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content))
  return { ...base, SHIFOU_WITNESSES: file }
}

t.test('a valid file', async (t) => {
  const config = loadConfig(withFile([{ name: 'w1', url: 'https://witness.example.org/w1', verifierKey: vkey }]))
  t.equal(config.witnesses.length, 1)
  t.equal(config.witnesses[0]!.name, 'w1')
  t.equal(config.witnesses[0]!.key.name, 'witness.example.org/w1')
  t.same(config.witnesses[0]!.key.publicKey, key.publicKey)
  t.same(loadConfig(base).witnesses, [], 'unset: no witnesses')
})

t.test('mistakes are ConfigErrors that name the entry and the fix', async (t) => {
  const good = { name: 'w1', url: 'http://127.0.0.1:7380', verifierKey: vkey }
  const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
    ['missing file', { ...base, SHIFOU_WITNESSES: join(dir, 'nope.json') }, /names a file that does not exist/],
    ['not JSON', withFile('[{'), /must be a JSON file/],
    ['not an array', withFile({ name: 'w1' }), /JSON array/],
    ['not an object', withFile(['w1']), /entry 0 must be an object/],
    ['unknown field', withFile([{ ...good, key: 'x' }]), /entry 0 has an unknown field "key"/],
    ['bad name', withFile([{ ...good, name: 'W 1' }]), /entry 0: name must be/],
    ['bad url', withFile([{ ...good, url: 'ftp://x' }]), /entry 0 \(w1\): url must be the witness's http\(s\) URL/],
    ['url with credentials', withFile([{ ...good, url: 'https://u:p@x/' }]), /without credentials/],
    ['no key', withFile([{ name: 'w1', url: good.url }]),
      /verifierKey must be the witness's cosignature\/v1 verifier key/],
    ['a log key (type 0x01)', withFile([{ ...good, verifierKey: ed25519VerifierKey(key) }]),
      /signature type 0x04; this one has type 0x01/],
    ['duplicate name', withFile([good, { ...good, url: 'http://127.0.0.1:7381' }]), /the name w1 is used twice/],
    ['duplicate key', withFile([good, { ...good, name: 'w2' }]), /the same witness key is listed twice/]
  ]
  for (const [what, env, message] of cases) {
    t.throws(() => loadConfig(env), message, what)
    try { loadConfig(env) } catch (err) {
      t.ok(err instanceof ConfigError, `${what}: a ConfigError`)
      t.notMatch((err as Error).message, vkey.split('+')[2]!, `${what}: the key is not echoed`)
    }
  }
})
