/**
 * Issuing receipts for answers (design §9). The flow in src/verifications/pipeline.ts:
 *
 *   1. `signer()` picks the current key before the entries are written, and each answer entry
 *      names it (`receiptKid`), so the entry alone says which key signs its receipt;
 *   2. once the audit writer has numbered the entries of a batch and sent them to the database,
 *      `issue(entry, …)` signs the receipt of each (the Ed25519 signature itself on a worker
 *      thread: src/crypto/ed25519-thread.ts) while they commit;
 *   3. the receipts leave with the answers only once the entries have committed (fail closed: no
 *      receipt without a committed entry and its index).
 *
 * `reissue` rebuilds the receipt of a stored entry for a certificate: same key, same nonce, same
 * iat, hence the same bytes as the receipt first returned.
 */
import { availableParallelism } from 'node:os'
import type { Database } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import type { Entry } from '../audit/entry.ts'
import { NONCE_KEY_INFO, NonceDeriver, subjectCommitment } from './commitment.ts'
import { encodeBase64url } from '../crypto/base64url.ts'
import type { Jwks } from './jwk.ts'
import type { IssuedReceipt, ReceiptIssuer } from './issuer.ts'
import { SigningKeys, WRAP_KEY_INFO, type SigningKey } from './keys.ts'
import { receiptClaims, signReceiptWith, type ReceiptContext } from './receipt.ts'
import { Ed25519Thread, SIGN_HERE, type Ed25519Signer } from '../crypto/ed25519-thread.ts'

export interface ReceiptServiceOptions extends ReceiptContext {
  database: Database
  keyring: Keyring
  /** How long a process keeps its view of the keys (default 2 s). */
  keyTtlMs?: number
  /**
   * Where signatures are made: on a worker thread when the machine has more than one core (the
   * default; src/crypto/ed25519-thread.ts), else on the answering thread.
   */
  signer?: Ed25519Signer
}

export class ReceiptService implements ReceiptIssuer {
  readonly keys: SigningKeys
  readonly #nonces: NonceDeriver
  readonly #ctx: ReceiptContext
  readonly #signer: Ed25519Signer

  constructor (opts: ReceiptServiceOptions) {
    this.keys = new SigningKeys(opts.database, opts.keyring.derive(WRAP_KEY_INFO), opts.keyTtlMs)
    this.#nonces = new NonceDeriver(opts.keyring.derive(NONCE_KEY_INFO))
    this.#ctx = { issuer: opts.issuer, log: opts.log }
    this.#signer = opts.signer ?? (availableParallelism() > 1 ? new Ed25519Thread() : SIGN_HERE)
  }

  /** The receipts' issuer and log origin. */
  get context (): ReceiptContext {
    return this.#ctx
  }

  async init (): Promise<void> {
    await this.keys.init()
  }

  /** The key that will sign the receipts of the entries about to be written. */
  async signer (): Promise<SigningKey> {
    return await this.keys.current()
  }

  /** The receipt of a committed answer entry, about the subject with this normalised ID. */
  async issue (entry: Entry, key: SigningKey, normalisedId: string): Promise<IssuedReceipt> {
    const nonce = this.#nonces.nonce(entry.verification ?? '', entry.question ?? '')
    const claims = receiptClaims(entry, subjectCommitment(nonce, normalisedId), this.#ctx)
    return { receipt: await signReceiptWith(this.#signer, claims, key), nonce: encodeBase64url(nonce) }
  }

  /** The receipt first issued for a stored entry, or null if it was answered without one. */
  async reissue (entry: Entry, normalisedId: string): Promise<IssuedReceipt | null> {
    if (entry.receiptKid === undefined) return null
    const key = await this.keys.byKid(entry.receiptKid)
    return key === null ? null : await this.issue(entry, key, normalisedId)
  }

  /** Stops the signing thread. */
  async close (): Promise<void> {
    await this.#signer.close()
  }

  async jwks (): Promise<Jwks> {
    return await this.keys.jwks()
  }
}
