/**
 * Issuing receipts for answers (design §9). The flow in src/verifications/pipeline.ts:
 *
 *   1. `signer()` picks the current key before the entries are written, and each answer entry
 *      names it (`receiptKid`), so the entry alone says which key signs its receipt;
 *   2. the entries commit (fail closed: no receipt without a committed entry and its index);
 *   3. `issue(entry, …)` signs the receipt of each committed entry.
 *
 * `reissue` rebuilds the receipt of a stored entry for a certificate: same key, same nonce, same
 * iat, hence the same bytes as the receipt first returned.
 */
import type { Database } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import type { Entry } from '../audit/entry.ts'
import { NONCE_KEY_INFO, NonceDeriver, subjectCommitment } from './commitment.ts'
import { encodeBase64url } from '../crypto/base64url.ts'
import type { Jwks } from './jwk.ts'
import type { IssuedReceipt, ReceiptIssuer } from './issuer.ts'
import { SigningKeys, WRAP_KEY_INFO, type SigningKey } from './keys.ts'
import { receiptClaims, signReceipt, type ReceiptContext } from './receipt.ts'

export interface ReceiptServiceOptions extends ReceiptContext {
  database: Database
  keyring: Keyring
  /** How long a process keeps its view of the keys (default 2 s). */
  keyTtlMs?: number
}

export class ReceiptService implements ReceiptIssuer {
  readonly keys: SigningKeys
  readonly #nonces: NonceDeriver
  readonly #ctx: ReceiptContext

  constructor (opts: ReceiptServiceOptions) {
    this.keys = new SigningKeys(opts.database, opts.keyring.derive(WRAP_KEY_INFO), opts.keyTtlMs)
    this.#nonces = new NonceDeriver(opts.keyring.derive(NONCE_KEY_INFO))
    this.#ctx = { issuer: opts.issuer, log: opts.log }
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
  issue (entry: Entry, key: SigningKey, normalisedId: string): IssuedReceipt {
    const nonce = this.#nonces.nonce(entry.verification ?? '', entry.question ?? '')
    const receipt = signReceipt(receiptClaims(entry, subjectCommitment(nonce, normalisedId), this.#ctx), key)
    return { receipt, nonce: encodeBase64url(nonce) }
  }

  /** The receipt first issued for a stored entry, or null if it was answered without one. */
  async reissue (entry: Entry, normalisedId: string): Promise<IssuedReceipt | null> {
    if (entry.receiptKid === undefined) return null
    const key = await this.keys.byKid(entry.receiptKid)
    return key === null ? null : this.issue(entry, key, normalisedId)
  }

  async jwks (): Promise<Jwks> {
    return await this.keys.jwks()
  }
}
