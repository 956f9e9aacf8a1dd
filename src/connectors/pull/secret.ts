/**
 * A pull connector's source URL at rest (design §14.2): it carries the department's database
 * credentials, so it is stored only sealed, is never returned by the API and never reaches a log.
 *
 *   K_s    = HKDF-SHA256(ikm = master key v1, salt = "shifou", info = "shifou/v1/connector-source")
 *   sealed = "v1." ‖ base64url(nonce ‖ AES-256-GCM(K_s, nonce, url, aad = "shifou/source/" ‖ connectorId) ‖ tag)
 *
 * AES-256-GCM is NIST SP 800-38D, from node:crypto: a fresh 96-bit random nonce per sealing (a
 * connector's URL is sealed a handful of times in its life, far from the 2^32 limit of random
 * nonces under one key) and the 128-bit tag. The connector id is the associated data, so a sealed
 * URL copied onto another connector's row does not open. The key is derived from master key
 * version 1, like the receipt keys: a master key rotation (new hashing keys) leaves sealed URLs
 * readable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const PREFIX = 'v1.'
const NONCE_BYTES = 12
const TAG_BYTES = 16
/** The HKDF info of the sealing key; `Keyring.derive` takes it. */
export const SOURCE_KEY_INFO = 'shifou/v1/connector-source'

const aad = (connectorId: string): Buffer => Buffer.from('shifou/source/' + connectorId, 'utf8')

/** Seals `url` for the connector `connectorId` under the 32-byte key `key`. */
export function sealSource (key: Uint8Array, connectorId: string, url: string): string {
  if (key.length !== 32) throw new RangeError('the sealing key must be 32 bytes')
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
  cipher.setAAD(aad(connectorId))
  const body = Buffer.concat([cipher.update(url, 'utf8'), cipher.final()])
  return PREFIX + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')
}

/** Opens a sealed URL; throws (without saying more) when it was not sealed for this connector under this key. */
export function openSource (key: Uint8Array, connectorId: string, sealed: string): string {
  if (!sealed.startsWith(PREFIX)) throw new Error('not a sealed source')
  const bytes = Buffer.from(sealed.slice(PREFIX.length), 'base64url')
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error('not a sealed source')
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES })
  decipher.setAAD(aad(connectorId))
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
  return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()])
    .toString('utf8')
}
