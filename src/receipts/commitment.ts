/**
 * The receipt's commitment to its subject (claim `sub_c`): binds the answer to one ID number
 * without revealing it.
 *
 *   commitment = BASE64URL(SHA-256("shifou/v1/subject-commitment" ‖ 0x00 ‖ nonce ‖ 0x00 ‖ normalisedId))
 *
 * with a 16-byte nonce per answer, returned to the caller beside the receipt. Whoever holds the
 * ID and the nonce can recompute it; without the nonce, the 2^37 plausible IDs are no help, since
 * each would have to be tried against 2^128 nonces.
 *
 * The nonce is derived, not drawn: nonce = HMAC-SHA256(K_n, verificationId ‖ 0x00 ‖ question)[0:16],
 * K_n = HKDF(master key, "shifou/v1/receipt-nonce"). The verification id is a random UUID, so
 * nonces are unpredictable and unlinkable without the master key; the service keeps no table of
 * nonces beside IDs, yet can rebuild a receipt byte for byte from its audit entry (certificates).
 * One nonce per answer rather than per verification: each receipt stands alone, and printing one
 * reveals nothing that opens another.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { KeyedMac } from '../keys/keyring.ts'
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.ts'

export const NONCE_BYTES = 16
export const NONCE_KEY_INFO = 'shifou/v1/receipt-nonce'
const DOMAIN = Buffer.from('shifou/v1/subject-commitment', 'utf8')
const ZERO = Buffer.of(0)

/** Derives receipt nonces from (verification id, question). */
export class NonceDeriver {
  readonly #mac: KeyedMac

  constructor (key: Uint8Array) {
    this.#mac = new KeyedMac(key)
  }

  nonce (verification: string, question: string): Uint8Array {
    return new Uint8Array(this.#mac.mac(verification + '\u0000' + question).subarray(0, NONCE_BYTES))
  }
}

/** The commitment (base64url) to a normalised ID under a nonce. */
export function subjectCommitment (nonce: Uint8Array, normalisedId: string): string {
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`)
  const digest = createHash('sha256')
    .update(DOMAIN).update(ZERO).update(nonce).update(ZERO).update(normalisedId, 'utf8')
    .digest()
  return encodeBase64url(digest)
}

/**
 * Whether `commitment` commits to `normalisedId` under the base64url `nonce`. Inputs come from
 * outside; a malformed nonce or commitment is simply false.
 */
export function checkCommitment (commitment: unknown, normalisedId: string, nonce: unknown): boolean {
  if (typeof commitment !== 'string' || typeof nonce !== 'string') return false
  const n = decodeBase64url(nonce)
  const expected = decodeBase64url(commitment)
  if (n === null || n.length !== NONCE_BYTES || expected === null || expected.length !== 32) return false
  return timingSafeEqual(decodeBase64url(subjectCommitment(n, normalisedId))!, expected)
}
