/**
 * base64url without padding (RFC 4648 §5, as RFC 7515 §2 uses it), canonical only: a value has
 * exactly one spelling, so that a changed character never decodes to the same bytes.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/

export function encodeBase64url (bytes: Uint8Array | string): string {
  const buffer = typeof bytes === 'string'
    ? Buffer.from(bytes, 'utf8')
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return buffer.toString('base64url')
}

/** The bytes of canonical unpadded base64url (RFC 7515 §2, RFC 4648 §5), or null. */
export function decodeBase64url (s: string): Uint8Array | null {
  if (typeof s !== 'string' || !BASE64URL.test(s) || s.length % 4 === 1) return null
  const bytes = Buffer.from(s, 'base64url')
  // Unused low bits of the last character must be zero: one encoding per value.
  if (bytes.toString('base64url') !== s) return null
  return new Uint8Array(bytes)
}
