/**
 * What a verification needs of receipts (design §9): the key that will sign the answers about to
 * be written, and the receipt of each committed entry. `ReceiptService` (service.ts) signs them;
 * `NO_RECEIPTS` answers without receipts, for the benchmark that measures what they cost.
 */
import type { Entry } from '../audit/entry.ts'
import type { Jwks } from './jwk.ts'
import type { SigningKey } from './keys.ts'
import type { ReceiptContext } from './receipt.ts'

export interface IssuedReceipt {
  receipt: string
  /** base64url of the 16-byte nonce of the subject commitment */
  nonce: string
}

export interface ReceiptIssuer {
  /** The receipts' issuer and log origin. */
  readonly context: ReceiptContext
  /** The key that will sign the receipts of the entries about to be written; null: no receipts. */
  signer(): Promise<SigningKey | null>
  /** The receipt of a committed answer entry, about the subject with this normalised ID. */
  issue(entry: Entry, key: SigningKey, normalisedId: string): Promise<IssuedReceipt>
  /** The receipt first issued for a stored entry, or null if it was answered without one. */
  reissue(entry: Entry, normalisedId: string): Promise<IssuedReceipt | null>
  /** The published verification keys; null when this service signs no receipts. */
  jwks(): Promise<Jwks | null>
}

/** Answers without receipts: for benchmarks only. */
export const NO_RECEIPTS: ReceiptIssuer = {
  context: { issuer: '', log: '' },
  async signer () { return null },
  async issue () { throw new Error('no receipts are issued') },
  async reissue () { return null },
  async jwks () { return null }
}
