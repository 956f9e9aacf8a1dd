/**
 * Short links to a verification's receipts (design §14.4): what a printed certificate's QR code
 * holds, `<public URL>/r#<token>`, instead of the receipts themselves.
 *
 * Why: a receipt is a ~600-character JWS; one per answer in a QR code is a version 20+ symbol that a
 * phone camera reads poorly off paper, and shows as gibberish when it does. A link of ~60 characters
 * is a version 4–5 symbol (33–37 modules), read at a glance. The check page fetches the receipts by
 * the token and verifies their signatures in the browser against /.well-known/jwks.json, so the
 * service is trusted for nothing the signatures prove; the token sits in the URL's fragment, which
 * the browser never sends with the page request.
 *
 *   token = BASE64URL(HMAC-SHA256(K_l, verificationId)[0:16]),  K_l = HKDF(master key, "shifou/v1/receipt-link")
 *
 * 128 bits, so tokens cannot be guessed or enumerated (a receipt names its caller, purpose and case);
 * derived rather than drawn, so printing a certificate again gives the same QR code. The table keeps
 * SHA-256(token) only: the database alone does not give the links. Beside the receipts (which name
 * no one) a link holds the masked ID and name the certificate printed, so the page shows whom the
 * paper is about and a QR code pasted onto another person's paper is caught by the clerk.
 */
import { createHash } from 'node:crypto'
import type { Executor } from '../db/client.ts'
import { KeyedMac } from '../keys/keyring.ts'
import { encodeBase64url } from '../crypto/base64url.ts'

export const LINK_KEY_INFO = 'shifou/v1/receipt-link'
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{22}$'

export interface ReceiptLink {
  verification: string
  receipts: string[]
  maskedId: string
  maskedName: string | null
  issuedAt: string
  /** YYYY-MM-DD, China Standard Time */
  validUntil: string
}

export class ReceiptLinks {
  readonly #mac: KeyedMac

  constructor (key: Uint8Array) {
    this.#mac = new KeyedMac(key)
  }

  token (verification: string): string {
    return encodeBase64url(this.#mac.mac(verification).subarray(0, 16))
  }

  /** Saves (or refreshes) the link of a printed certificate; its token. */
  async save (db: Executor, link: ReceiptLink): Promise<string> {
    const token = this.token(link.verification)
    await db.query(
      `insert into receipt_links (token_hash, verification, receipts, masked_id, masked_name, issued_at, valid_until)
       values ($1, $2, $3::jsonb, $4, $5, $6, $7)
       on conflict (token_hash) do update set receipts = excluded.receipts, masked_id = excluded.masked_id,
         masked_name = excluded.masked_name, issued_at = excluded.issued_at, valid_until = excluded.valid_until`,
      [hashOf(token), link.verification, JSON.stringify(link.receipts), link.maskedId, link.maskedName,
        link.issuedAt, link.validUntil])
    return token
  }
}

/** The link of a token, or null. */
export async function readLink (db: Executor, token: string): Promise<ReceiptLink | null> {
  const [row] = await db.query<{
    verification: string
    receipts: string[]
    masked_id: string
    masked_name: string | null
    issued_at: string | Date
    valid_until: string
  }>(
    `select verification, receipts, masked_id, masked_name, issued_at, valid_until::text as valid_until
       from receipt_links where token_hash = $1`, [hashOf(token)])
  if (row === undefined) return null
  return {
    verification: row.verification,
    receipts: row.receipts,
    maskedId: row.masked_id,
    maskedName: row.masked_name,
    issuedAt: new Date(row.issued_at).toISOString(),
    validUntil: row.valid_until
  }
}

function hashOf (token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest())
}
