/**
 * Verification in the browser (design §14.4), with WebCrypto only (SHA-256, Ed25519): served as is
 * at /assets/verify.js, no build step, nothing fetched from elsewhere. The service's pages import it
 * (the receipt check page /r, the console's entry and citizen pages); Node ≥ 20 runs it too
 * (test/api/browser-verify.test.ts checks it against the server's own receipts, proofs and notes).
 *
 *   inclusion proofs   RFC 9162 §2.1.3.2, leaf hash SHA-256(0x00 ‖ leaf), node hash SHA-256(0x01 ‖ l ‖ r)
 *   checkpoints        C2SP tlog-checkpoint in a C2SP signed-note, Ed25519 (signature type 0x01)
 *   receipts           compact JWS (RFC 7515), EdDSA/Ed25519 (RFC 8037), typ shifou-receipt+jwt,
 *                      keys from the JWK Set at /.well-known/jwks.json (kid = b64url(SHA-256(x)[0:16]))
 *
 * The same checks as the service's own src/audit/proof-verify.ts, src/audit/checkpoint-note.ts and
 * src/receipts/receipt.ts. Everything checked comes from outside: no function throws on bad input;
 * each answers `{ok: true, …}` or `{ok: false, reason}` (reasons in English, for logs and tests; pages
 * show their own words).
 */

const subtle = globalThis.crypto.subtle
const utf8 = new TextEncoder()
const RECEIPT_TYPE = 'shifou-receipt+jwt'
const HASH_SIZE = 32

// --- bytes ---

/** Bytes of canonical padded base64 (RFC 4648 §4), or null. */
export function decodeBase64 (s) {
  if (typeof s !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null
  const bytes = fromBinary(atob(s))
  return encodeBase64(bytes) === s ? bytes : null
}

/** Bytes of canonical unpadded base64url (RFC 7515 §2), or null: one spelling per value. */
export function decodeBase64url (s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null
  const padded = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)
  const bytes = fromBinary(atob(padded))
  return encodeBase64url(bytes) === s ? bytes : null
}

export function encodeBase64 (bytes) {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

export function encodeBase64url (bytes) {
  return encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBinary (binary) {
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

function concat (...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function equalBytes (a, b) {
  return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i])
}

export async function sha256 (bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes))
}

// --- RFC 9162 §2.1.1 hashes and §2.1.3.2 inclusion proofs ---

export async function leafHash (leaf) {
  return await sha256(concat(Uint8Array.of(0), leaf))
}

export async function nodeHash (left, right) {
  return await sha256(concat(Uint8Array.of(1), left, right))
}

/**
 * The root that `proof` (an array of 32-byte hashes) leads to from the leaf with hash `leaf` at
 * `index` in the tree of `size` leaves (RFC 9162 §2.1.3.2, steps 1–4).
 */
export async function rootFromInclusionProof (index, size, leaf, proof) {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || size < 0) {
    return { ok: false, reason: 'index and size must be non-negative integers' }
  }
  if (index >= size) return { ok: false, reason: 'index is beyond size' }
  if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_SIZE) return { ok: false, reason: 'leaf hash size' }
  if (!Array.isArray(proof)) return { ok: false, reason: 'proof must be an array' }
  let fn = BigInt(index)
  let sn = BigInt(size - 1)
  let r = leaf
  for (const p of proof) {
    if (sn === 0n) return { ok: false, reason: 'proof is too long' }
    if (!(p instanceof Uint8Array) || p.length !== HASH_SIZE) return { ok: false, reason: 'proof hash size' }
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r)
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n }
    } else {
      r = await nodeHash(r, p)
    }
    fn >>= 1n
    sn >>= 1n
  }
  if (sn !== 0n) return { ok: false, reason: 'proof is too short' }
  return { ok: true, root: r }
}

/** Whether `proof` proves that the leaf hash is at `index` in the tree of `size` with hash `root`. */
export async function verifyInclusion (index, size, leaf, proof, root) {
  const result = await rootFromInclusionProof(index, size, leaf, proof)
  return result.ok && equalBytes(result.root, root)
}

// --- Ed25519 ---

async function ed25519Verify (rawKey, signature, message) {
  if (!(rawKey instanceof Uint8Array) || rawKey.length !== 32 || signature.length !== 64) return false
  try {
    const key = await subtle.importKey('raw', rawKey, { name: 'Ed25519' }, false, ['verify'])
    return await subtle.verify({ name: 'Ed25519' }, key, signature, message)
  } catch {
    return false
  }
}

// --- C2SP signed-note and tlog-checkpoint ---

/**
 * A verifier key `<name>+<hex key ID>+<base64(0x01 ‖ public key)>` (c2sp.org/signed-note §Verifier
 * keys) of an Ed25519 key, its key ID checked: `{ok, name, keyId, publicKey}` or `{ok: false, reason}`.
 */
export async function parseVerifierKey (vkey) {
  if (typeof vkey !== 'string') return { ok: false, reason: 'verifier key is not text' }
  const first = vkey.indexOf('+')
  const second = vkey.indexOf('+', first + 1)
  if (first <= 0 || second < 0) return { ok: false, reason: 'verifier key is malformed' }
  const name = vkey.slice(0, first)
  const id = vkey.slice(first + 1, second)
  const bytes = decodeBase64(vkey.slice(second + 1))
  if (!/^[0-9a-f]{8}$/.test(id) || bytes === null || bytes.length !== 33 || bytes[0] !== 0x01) {
    return { ok: false, reason: 'verifier key is not an Ed25519 key' }
  }
  const publicKey = bytes.subarray(1)
  const keyId = await noteKeyId(name, publicKey)
  if (toHex(keyId) !== id) return { ok: false, reason: 'verifier key ID does not match its name and key' }
  return { ok: true, name, keyId, publicKey }
}

async function noteKeyId (name, publicKey) {
  return (await sha256(concat(utf8.encode(name + '\n'), Uint8Array.of(0x01), publicKey))).subarray(0, 4)
}

function toHex (bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Opens a signed note with one Ed25519 verifier key (as golang.org/x/mod/sumdb/note.Open): the text
 * ends at the last blank line; signatures by other keys are ignored; a signature by this key that
 * fails rejects the note; at least one must verify. `{ok, text}` or `{ok: false, reason}`.
 */
export async function openNote (note, vkey) {
  const key = typeof vkey === 'string' ? await parseVerifierKey(vkey) : vkey
  if (!key.ok) return key
  if (typeof note !== 'string' || note.length > (1 << 20)) return { ok: false, reason: 'note is not text' }
  // eslint-disable-next-line no-control-regex -- finding control characters is this pattern's job
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) return { ok: false, reason: 'note has control characters' }
  const split = note.lastIndexOf('\n\n')
  if (split < 0) return { ok: false, reason: 'no blank line before the signatures' }
  const text = note.slice(0, split + 1)
  const block = note.slice(split + 2)
  if (block === '' || !block.endsWith('\n')) return { ok: false, reason: 'malformed signature lines' }
  const message = utf8.encode(text)
  let verified = 0
  for (const line of block.slice(0, -1).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line)
    const blob = m === null ? null : decodeBase64(m[2])
    if (m === null || blob === null || blob.length < 5) return { ok: false, reason: 'malformed signature line' }
    if (m[1] !== key.name || !equalBytes(blob.subarray(0, 4), key.keyId)) continue
    if (!await ed25519Verify(key.publicKey, blob.subarray(4), message)) {
      return { ok: false, reason: `invalid signature by ${key.name}` }
    }
    verified++
  }
  if (verified === 0) return { ok: false, reason: `no signature by ${key.name}` }
  return { ok: true, text }
}

/**
 * The checkpoint in a signed note (c2sp.org/tlog-checkpoint: origin, size, base64 root, extension
 * lines), if the log's key signed it and, when `origin` is given, it is that log's:
 * `{ok, origin, size, root}` or `{ok: false, reason}`.
 */
export async function openCheckpoint (note, vkey, origin) {
  const opened = await openNote(note, vkey)
  if (!opened.ok) return opened
  const lines = opened.text.slice(0, -1).split('\n')
  if (lines.length < 3 || lines[0] === '' || !/^(?:0|[1-9][0-9]{0,15})$/.test(lines[1])) {
    return { ok: false, reason: 'body is not a checkpoint' }
  }
  const size = Number(lines[1])
  const root = decodeBase64(lines[2])
  if (!Number.isSafeInteger(size) || root === null || root.length !== HASH_SIZE) {
    return { ok: false, reason: 'body is not a checkpoint' }
  }
  if (origin !== undefined && lines[0] !== origin) return { ok: false, reason: 'checkpoint is of another log' }
  return { ok: true, origin: lines[0], size, root }
}

/**
 * One audit entry against a signed checkpoint: the note verifies with the log's key, the leaf (the
 * entry's canonical bytes, base64) holds `index`, and the inclusion proof (base64 hashes) leads from
 * SHA-256(0x00 ‖ leaf) at `index` to the checkpoint's root. `{ok, entry, checkpoint}` or
 * `{ok: false, reason}`. `expect.subject`, when given, must be the leaf's `subject`.
 */
export async function verifyEntry ({ index, leaf, proof }, note, vkey, expect = {}) {
  const checkpoint = await openCheckpoint(note, vkey, expect.origin)
  if (!checkpoint.ok) return { ok: false, reason: 'checkpoint: ' + checkpoint.reason }
  const bytes = decodeBase64(leaf)
  if (bytes === null) return { ok: false, reason: 'leaf is not base64' }
  let entry
  try {
    entry = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return { ok: false, reason: 'leaf is not JSON' }
  }
  if (entry === null || typeof entry !== 'object' || entry.index !== index) {
    return { ok: false, reason: 'the leaf holds another index' }
  }
  if (expect.subject !== undefined && entry.subject !== expect.subject) {
    return { ok: false, reason: 'the leaf is about another subject' }
  }
  if (!Array.isArray(proof)) return { ok: false, reason: 'no inclusion proof' }
  const hashes = proof.map(decodeBase64)
  if (hashes.some((h) => h === null)) return { ok: false, reason: 'proof is not base64' }
  const included = await verifyInclusion(index, checkpoint.size, await leafHash(bytes), hashes, checkpoint.root)
  if (!included) return { ok: false, reason: 'inclusion proof does not verify' }
  return { ok: true, entry, checkpoint }
}

// --- receipts: compact JWS, EdDSA ---

/**
 * The Ed25519 keys of a JWK Set by kid: keys of other types, and keys whose kid is not
 * b64url(SHA-256(x)[0:16]), are skipped.
 */
export async function receiptKeys (jwks) {
  const out = new Map()
  const keys = jwks !== null && typeof jwks === 'object' ? jwks.keys : undefined
  if (!Array.isArray(keys)) return out
  for (const k of keys) {
    if (k === null || typeof k !== 'object' || k.kty !== 'OKP' || k.crv !== 'Ed25519') continue
    if ((k.alg !== undefined && k.alg !== 'EdDSA') || (k.use !== undefined && k.use !== 'sig')) continue
    const raw = decodeBase64url(k.x)
    if (raw === null || raw.length !== 32) continue
    if (encodeBase64url((await sha256(raw)).subarray(0, 16)) !== k.kid) continue
    out.set(k.kid, raw)
  }
  return out
}

function jsonObject (bytes) {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null
  } catch {
    return null
  }
}

const str = (v) => typeof v === 'string' && v.length > 0
const int = (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function isReceiptClaims (c) {
  const p = c.p
  return str(c.iss) && int(c.iat) && str(c.log) && int(c.idx) && str(c.vid) && str(c.q) &&
    p !== null && typeof p === 'object' && !Array.isArray(p) &&
    Object.values(p).every((v) => ['string', 'number', 'boolean'].includes(typeof v)) &&
    (c.a === 'yes' || c.a === 'no') && str(c.asOf) && /^\d{4}-\d{2}-\d{2}$/.test(c.asOf) && int(c.snap) &&
    str(c.pur) && str(c.case) && str(c.cli) && str(c.sub_c)
}

/**
 * Verifies a receipt against a JWK Set (the object of /.well-known/jwks.json, or the Map of
 * `receiptKeys`): structure, header (typ, alg EdDSA, kid of a published key), Ed25519 signature,
 * claims. `{ok, kid, claims}` or `{ok: false, reason}`.
 */
export async function verifyReceipt (token, jwks) {
  const keys = jwks instanceof Map ? jwks : await receiptKeys(jwks)
  if (typeof token !== 'string' || token.length > 16 * 1024) return { ok: false, reason: 'not a compact JWS' }
  const parts = token.split('.')
  if (parts.length !== 3) return { ok: false, reason: 'not a compact JWS' }
  const [h, p, s] = parts.map(decodeBase64url)
  const header = h === null ? null : jsonObject(h)
  const claims = p === null ? null : jsonObject(p)
  if (header === null || claims === null || s === null) return { ok: false, reason: 'not a compact JWS' }
  if (header.crit !== undefined) return { ok: false, reason: 'crit is not understood' }
  if (header.typ !== RECEIPT_TYPE) return { ok: false, reason: `typ is not ${RECEIPT_TYPE}` }
  if (header.alg !== 'EdDSA') return { ok: false, reason: 'alg is not EdDSA' }
  const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined
  if (key === undefined) return { ok: false, reason: 'the signing key is not published' }
  if (!await ed25519Verify(key, s, utf8.encode(parts[0] + '.' + parts[1]))) {
    return { ok: false, reason: 'bad signature' }
  }
  if (!isReceiptClaims(claims)) return { ok: false, reason: 'the payload lacks receipt claims' }
  return { ok: true, kid: header.kid, claims }
}
