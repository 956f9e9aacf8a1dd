/**
 * Receipt signing keys (design §9), in the `signing_keys` table: one `current` key signs, `retired`
 * keys stay published so that old receipts keep verifying.
 *
 * The private half is stored as AES-256-GCM (NIST SP 800-38D) ciphertext of its PKCS#8 DER,
 * laid out nonce(12) ‖ ciphertext ‖ tag(16), under K_w = HKDF(master key, "shifou/v1/receipt-key-wrap"),
 * with the kid as additional data so a ciphertext cannot be moved to another row. Every service
 * process can then sign, and the database alone reveals no key.
 *
 * Creating the first key and rotating take a transaction-level advisory lock, so that several
 * processes starting at once on an empty table still make exactly one current key (the table has
 * no unique index on status to do it for them).
 */
import {
  createCipheriv, createDecipheriv, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject
} from 'node:crypto'
import type { Database, Executor } from '../db/client.ts'
import { writeEntries } from '../audit/writer.ts'
import { publicJwk, type Jwks, type ReceiptJwk } from './jwk.ts'

export const WRAP_KEY_INFO = 'shifou/v1/receipt-key-wrap'
/** Advisory lock key of the signing keys ("reckey" in ASCII). */
export const SIGNING_KEY_LOCK = 0x7265636b6579
const NONCE = 12
const TAG = 16

export interface SigningKey {
  kid: string
  privateKey: KeyObject
}

function aad (kid: string): Buffer {
  return Buffer.from('shifou/v1/receipt-key/' + kid, 'utf8')
}

export function wrapPrivateKey (wrapKey: Uint8Array, kid: string, privateKey: KeyObject): Buffer {
  const nonce = randomBytes(NONCE)
  const cipher = createCipheriv('aes-256-gcm', wrapKey, nonce)
  cipher.setAAD(aad(kid))
  const der = privateKey.export({ format: 'der', type: 'pkcs8' })
  return Buffer.concat([nonce, cipher.update(der), cipher.final(), cipher.getAuthTag()])
}

/** Decrypts a stored private key; throws if the wrap key or the kid is not the one it was made with. */
export function unwrapPrivateKey (wrapKey: Uint8Array, kid: string, blob: Uint8Array): KeyObject {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
  if (bytes.length <= NONCE + TAG) throw new Error('stored signing key is truncated')
  const decipher = createDecipheriv('aes-256-gcm', wrapKey, bytes.subarray(0, NONCE))
  decipher.setAAD(aad(kid))
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG))
  const der = Buffer.concat([decipher.update(bytes.subarray(NONCE, bytes.length - TAG)), decipher.final()])
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
}

async function insertNewKey (tx: Executor, wrapKey: Uint8Array): Promise<string> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = publicJwk(privateKey)
  await tx.query(`insert into signing_keys (kid, status, public_jwk, private_key) values ($1, $2, $3::jsonb, $4)
      on conflict (kid) do nothing`,
  [jwk.kid, 'current', JSON.stringify(jwk), wrapPrivateKey(wrapKey, jwk.kid, privateKey)])
  return jwk.kid
}

/** Makes a current key unless there is one; returns the current kid. */
export async function ensureCurrentKey (database: Database, wrapKey: Uint8Array): Promise<string> {
  return await database.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK])
    const [row] = await tx.query<{ kid: string }>(
      "select kid from signing_keys where status = 'current' order by created_at desc limit 1")
    return row?.kid ?? await insertNewKey(tx, wrapKey)
  })
}

/**
 * Retires the current key and makes a new one, with its audit entry (kind `change`), atomically.
 * Running services sign with the new key once their cache expires (SigningKeys, a few seconds).
 */
export async function rotateSigningKey (
  database: Database,
  wrapKey: Uint8Array,
  actor: { sub: string, role: string }
): Promise<{ kid: string, retired: string[] }> {
  return await database.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [SIGNING_KEY_LOCK])
    const retired = await tx.query<{ kid: string }>(
      "update signing_keys set status = 'retired', retired_at = now() where status = 'current' returning kid")
    const kid = await insertNewKey(tx, wrapKey)
    await writeEntries(tx, [{
      kind: 'change',
      actor,
      code: 'ROTATE',
      detail: { action: 'rotate', resource: 'signing-key', id: kid, retired: retired.map((r) => r.kid) }
    }])
    return { kid, retired: retired.map((r) => r.kid) }
  })
}

export interface KeyInfo { kid: string, status: string, createdAt: string, retiredAt: string | null, jwk: ReceiptJwk }

const ISO = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

interface KeyRow { kid: string, status: string, created_at: string, retired_at: string | null, public_jwk: ReceiptJwk }

export async function listSigningKeys (db: Executor): Promise<KeyInfo[]> {
  const rows = await db.query<KeyRow>(
    `select kid, status, ${ISO('created_at')} as created_at, ${ISO('retired_at')} as retired_at, public_jwk
       from signing_keys order by created_at, kid`)
  return rows.map((r) => ({
    kid: r.kid,
    status: r.status,
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    jwk: r.public_jwk
  }))
}

/**
 * The keys as a service process sees them: the current signing key and the published set,
 * re-read after `ttlMs` (default 2 s) so a rotation by another process is picked up within it.
 * Private keys are decrypted once per kid and kept in memory.
 */
export class SigningKeys {
  readonly #database: Database
  readonly #wrapKey: Uint8Array
  readonly #ttlMs: number
  readonly #private = new Map<string, KeyObject>()
  #state: { current: string | null, jwks: Jwks } | null = null
  #loadedAt = 0
  #loading: Promise<{ current: string | null, jwks: Jwks }> | null = null

  constructor (database: Database, wrapKey: Uint8Array, ttlMs = 2000) {
    this.#database = database
    this.#wrapKey = wrapKey
    this.#ttlMs = ttlMs
  }

  /**
   * Makes sure a current key exists and opens (at start): a master key other than the one the
   * keys were wrapped with stops the service here, not at its first answer.
   */
  async init (): Promise<void> {
    const kid = await ensureCurrentKey(this.#database, this.#wrapKey)
    this.invalidate()
    try {
      await this.#privateKey(kid)
    } catch {
      throw new Error(
        'the receipt signing key cannot be decrypted: SHIFOU_MASTER_KEY is not the key it was stored with')
    }
  }

  invalidate (): void {
    this.#state = null
  }

  async #current (): Promise<{ current: string | null, jwks: Jwks }> {
    if (this.#state !== null && Date.now() - this.#loadedAt < this.#ttlMs) return this.#state
    this.#loading ??= (async () => {
      const keys = await listSigningKeys(this.#database)
      const current = keys.filter((k) => k.status === 'current').at(-1)?.kid ?? null
      // Newest first: a verifier that tries keys in order finds today's first.
      const state = { current, jwks: { keys: keys.slice().reverse().map((k) => k.jwk) } }
      this.#state = state
      this.#loadedAt = Date.now()
      return state
    })().finally(() => { this.#loading = null })
    return await this.#loading
  }

  /** The key that signs new receipts. */
  async current (): Promise<SigningKey> {
    let state = await this.#current()
    if (state.current === null) {
      await this.init()
      state = await this.#current()
    }
    const kid = state.current
    if (kid === null) throw new Error('no current receipt signing key')
    return { kid, privateKey: await this.#privateKey(kid) }
  }

  /** A key by kid, current or retired (to rebuild a receipt it signed), or null. */
  async byKid (kid: string): Promise<SigningKey | null> {
    const [row] = await this.#database.query<{ kid: string }>('select kid from signing_keys where kid = $1', [kid])
    return row === undefined ? null : { kid, privateKey: await this.#privateKey(kid) }
  }

  /** The published JWK Set: every key, current and retired. */
  async jwks (): Promise<Jwks> {
    return (await this.#current()).jwks
  }

  async #privateKey (kid: string): Promise<KeyObject> {
    let key = this.#private.get(kid)
    if (key === undefined) {
      const [row] = await this.#database.query<{ private_key: Uint8Array }>(
        'select private_key from signing_keys where kid = $1', [kid])
      if (row === undefined) throw new Error('signing key not found')
      key = unwrapPrivateKey(this.#wrapKey, kid, new Uint8Array(row.private_key))
      this.#private.set(kid, key)
    }
    return key
  }
}
