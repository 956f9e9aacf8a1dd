/**
 * The browser's verification module (src/api/public/verify.js, served at /assets/verify.js) run
 * under Node's WebCrypto against what the service itself serves: a receipt and the JWK Set, the
 * citizen's access log with its inclusion proofs and signed checkpoint, the checkpoint key. Each
 * verifies; each tampered copy (one changed character of a receipt, a leaf, a proof hash, the
 * note) fails. The transparency-dev inclusion vectors hold here as they do for the server's code.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build, CALLER } from '../helpers/app.ts'
import { subjectOf } from '../helpers/claims.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import * as v from '../../src/api/public/verify.js'

/** `s` with the character at `at` replaced by another of the same alphabet. */
function flip (s: string, at: number): string {
  const c = s[at]!
  return s.slice(0, at) + (c === 'A' ? 'B' : 'A') + s.slice(at + 1)
}

t.test('receipts, entries and checkpoints from the service', async (t) => {
  const { app, database, keyring, as, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 10)
  const alice = people[0]!
  const answer = await verified(CALLER, {
    idNumber: alice.idNumber, name: alice.name, questions: ['property.none', 'identity.name_matches']
  })

  const served = await app.inject({ method: 'GET', url: '/assets/verify.js' })
  t.equal(served.statusCode, 200)
  t.match(served.headers['content-type'], /^text\/javascript/)
  t.equal(served.body, readFileSync(new URL('../../src/api/public/verify.js', import.meta.url), 'utf8'),
    'the served module is the one tested here')
  t.equal((await app.inject({ method: 'GET', url: '/assets/verify.d.ts' })).statusCode, 404)
  t.not((await app.inject({ method: 'GET', url: '/assets/..%2fapp.ts' })).statusCode, 200, 'no path outside')

  const jwks = (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
  for (const a of answer.answers) {
    const ok = await v.verifyReceipt(a.receipt, jwks)
    t.ok(ok.ok, `the receipt of ${a.question} verifies`)
    if (ok.ok) t.match(ok.claims, { q: a.question, a: a.answer, idx: a.auditIndex, vid: answer.id })
  }
  const receipt = answer.answers[0]!.receipt
  const [h, p, s] = receipt.split('.') as [string, string, string]
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>
  const forged = h + '.' + Buffer.from(JSON.stringify({ ...payload, a: payload.a === 'yes' ? 'no' : 'yes' }))
    .toString('base64url') + '.' + s
  t.same(await v.verifyReceipt(forged, jwks), { ok: false, reason: 'bad signature' }, 'a changed answer fails')
  for (const at of [5, h.length + 10, receipt.length - 3]) {
    t.notOk((await v.verifyReceipt(flip(receipt, at), jwks)).ok, `a character changed at ${at} fails`)
  }
  t.notOk((await v.verifyReceipt(receipt, { keys: [] })).ok, 'no published key, no valid receipt')
  const otherKey = { ...jwks.keys[0], x: jwks.keys[0].x.replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) }
  t.notOk((await v.verifyReceipt(receipt, { keys: [otherKey] })).ok, 'a key whose kid is not its own is skipped')

  const { verifierKey, origin } = (await app.inject({ method: 'GET', url: '/v1/audit/checkpoint-key' })).json()
  const log = (await as(subjectOf(alice.idNumber))('GET', '/v1/me/access-log')).json()
  t.equal(log.entries.length, 2)
  for (const e of log.entries) {
    const ok = await v.verifyEntry(e, log.checkpoint.note, verifierKey, { origin, subject: log.subject })
    t.ok(ok.ok, `entry ${e.index} is in the signed log`)
  }
  const e = log.entries[0]
  const note = log.checkpoint.note as string
  const bad = async (what: string, entry: typeof e, n = note, expect = {}): Promise<void> => {
    const r = await v.verifyEntry(entry, n, verifierKey, expect)
    t.notOk(r.ok, what + (r.ok ? '' : ': ' + r.reason))
  }
  const leaf = JSON.parse(Buffer.from(e.leaf, 'base64').toString()) as Record<string, unknown>
  await bad('a changed leaf', { ...e, leaf: Buffer.from(JSON.stringify({ ...leaf, answer: 'no' })).toString('base64') })
  await bad('a leaf of another index', { ...e, index: e.index + 1 })
  if (e.proof.length > 0) await bad('a changed proof hash', { ...e, proof: [flip(e.proof[0], 3), ...e.proof.slice(1)] })
  await bad('a proof one hash short', { ...e, proof: e.proof.slice(1) })
  await bad('a changed root', e, note.replace(log.checkpoint.root, flip(log.checkpoint.root, 0)))
  await bad('a changed size', e, note.replace(`\n${log.checkpoint.size}\n`, `\n${log.checkpoint.size + 1}\n`))
  await bad('a changed signature', e, note.replace(/ (\S+)\n$/, (_m, sig: string) => ` ${flip(sig, 10)}\n`))
  await bad('another origin expected', e, note, { origin: 'elsewhere/audit' })
  await bad('another subject expected', e, note, { subject: '00'.repeat(32) })
  t.notOk((await v.openCheckpoint(note, verifierKey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).ok,
    'a verifier key whose ID does not match')
})

t.test('transparency-dev inclusion vectors', async (t) => {
  const dir = new URL('../fixtures/merkle/inclusion/', import.meta.url).pathname
  const files = (function walk (d: string): string[] {
    return readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.json') ? [join(d, e.name)] : [])
  })(dir)
  const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
  let failed = 0
  for (const file of files) {
    const x = JSON.parse(readFileSync(file, 'utf8')) as {
      leafIdx: number
      treeSize: number
      root: string
      leafHash: string
      proof: string[] | null
      wantErr: boolean
    }
    const ok = await v.verifyInclusion(x.leafIdx, x.treeSize, b64(x.leafHash), (x.proof ?? []).map(b64), b64(x.root))
    if (ok === x.wantErr) failed++
  }
  t.equal(files.length, 98)
  t.equal(failed, 0, 'every vector as it expects')
})
