/**
 * Receipt signing keys in the database (src/receipts/keys.ts): exactly one current key even when
 * processes start together, private halves stored encrypted and bound to their kid, rotation
 * retires (and keeps publishing) the old key with an audit entry, and a running process picks
 * the new key up when its cache expires.
 */
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { testDatabase } from '../helpers/db.ts'
import { TEST_MASTER } from '../helpers/app.ts'
import { Keyring } from '../../src/keys/keyring.ts'
import {
  SigningKeys,
  WRAP_KEY_INFO,
  ensureCurrentKey,
  listSigningKeys,
  rotateSigningKey,
  unwrapPrivateKey,
  wrapPrivateKey
} from '../../src/receipts/keys.ts'
import { publicJwk, rawPublicKey } from '../../src/receipts/jwk.ts'
import { parseEntry } from '../../src/audit/entry.ts'

const wrapKey = new Keyring(new Map([[1, TEST_MASTER]])).derive(WRAP_KEY_INFO)

t.test('wrapping: AES-256-GCM bound to the kid and the master key', async (t) => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const der = privateKey.export({ format: 'der', type: 'pkcs8' })
  const blob = wrapPrivateKey(wrapKey, 'kid-a', privateKey)
  t.equal(blob.length, 12 + der.length + 16, 'nonce ‖ ciphertext ‖ tag')
  t.notOk(blob.includes(der.subarray(16)), 'the seed is not in the stored bytes')
  t.same(rawPublicKey(unwrapPrivateKey(wrapKey, 'kid-a', blob)), rawPublicKey(privateKey), 'unwraps to the same key')
  t.throws(() => unwrapPrivateKey(wrapKey, 'kid-b', blob), 'another row\'s kid does not open it')
  const otherMaster = new Keyring(new Map([[1, new Uint8Array(32).fill(1)]])).derive(WRAP_KEY_INFO)
  t.throws(() => unwrapPrivateKey(otherMaster, 'kid-a', blob), 'another master key does not open it')
  const tampered = Buffer.from(blob)
  tampered[20] = tampered[20]! ^ 1
  t.throws(() => unwrapPrivateKey(wrapKey, 'kid-a', tampered), 'a changed byte is detected')
  t.not(wrapPrivateKey(wrapKey, 'kid-a', privateKey).toString('hex'), blob.toString('hex'), 'a fresh nonce each time')
})

t.test('one current key, even when several processes start at once', async (t) => {
  const database = await testDatabase(t)
  const kids = await Promise.all(Array.from({ length: 6 }, async () => await ensureCurrentKey(database, wrapKey)))
  t.equal(new Set(kids).size, 1, 'every starter sees the same current key')
  const keys = await listSigningKeys(database)
  t.equal(keys.length, 1)
  t.match(keys[0], {
    kid: kids[0],
    status: 'current',
    retiredAt: null,
    jwk: { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: kids[0] }
  })
  t.equal(await ensureCurrentKey(database, wrapKey), kids[0], 'and later calls keep it')
})

t.test('rotation retires the current key, keeps it published, and is audited', async (t) => {
  const database = await testDatabase(t)
  // Two processes' caches: one whose TTL (100 ms) passes, one whose TTL (a minute) cannot pass during
  // the test, however slow the machine (a single 100 ms cache was read after its TTL under load).
  const cache = new SigningKeys(database, wrapKey, 100)
  const held = new SigningKeys(database, wrapKey, 60_000)
  await cache.init()
  await held.init()
  const first = await cache.current()
  t.equal((await held.current()).kid, first.kid, 'both processes sign with the current key')
  const rotated = await rotateSigningKey(database, wrapKey, { sub: 'ops-1', role: 'admin' })
  t.same(rotated.retired, [first.kid])
  t.not(rotated.kid, first.kid)
  t.equal((await held.current()).kid, first.kid, 'within its TTL a process still signs with the key it knows')
  await new Promise((resolve) => setTimeout(resolve, 150))
  const second = await cache.current()
  t.equal(second.kid, rotated.kid, 'after its TTL the process signs with the new key')
  t.equal(publicJwk(second.privateKey).kid, rotated.kid, 'the decrypted key is the one the kid names')
  const jwks = await cache.jwks()
  t.same(jwks.keys.map((k) => k.kid), [rotated.kid, first.kid], 'both keys published, the current one first')
  const byKid = await cache.byKid(first.kid)
  t.same(byKid && rawPublicKey(byKid.privateKey), rawPublicKey(first.privateKey), 'a retired key is still found by kid')
  t.equal(await cache.byKid('no-such-kid'), null)
  const listed = await listSigningKeys(database)
  t.match(listed, [
    { kid: first.kid, status: 'retired', retiredAt: /^\d{4}-/ },
    { kid: rotated.kid, status: 'current', retiredAt: null }
  ])
  const [row] = await database.query<{ entry: Uint8Array }>(
    "select entry from audit_entries where kind = 'change' order by index desc limit 1"
  )
  t.match(parseEntry(new Uint8Array(row!.entry)), {
    kind: 'change',
    actor: { sub: 'ops-1', role: 'admin' },
    code: 'ROTATE',
    detail: { action: 'rotate', resource: 'signing-key', id: rotated.kid, retired: [first.kid] }
  })
  const stored = await database.query<{ private_key: Uint8Array }>('select private_key from signing_keys')
  const der = first.privateKey.export({ format: 'der', type: 'pkcs8' })
  t.ok(stored.every((r) => !Buffer.from(r.private_key).includes(der.subarray(16))), 'no private key is stored in clear')
})
