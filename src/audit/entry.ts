/**
 * Audit entries (design §8) and their canonical bytes: the RFC 8785 (JCS) serialisation of the
 * entry, including its own index, is the Merkle leaf (RFC 9162 §2.1.1). An entry holds ids,
 * codes and the subject's audit pseudonym, never an identifier or a name.
 */

export const ENTRY_KINDS = ['answer', 'refusal', 'subject-search', 'export', 'load', 'change'] as const
export type EntryKind = typeof ENTRY_KINDS[number]

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue }

/** What a caller of the log supplies; the writer adds `v`, `index` and `at`. */
export interface EntryInput {
  kind: EntryKind
  actor: { sub: string, role: string }
  verification?: string
  caller?: string
  question?: string
  params?: Record<string, string | number | boolean>
  purpose?: string
  caseId?: string
  answer?: 'yes' | 'no'
  asOf?: string
  snapshot?: number
  /** audit pseudonym of the subject, lowercase hex */
  subject?: string
  keyVersion?: number
  norm?: string
  code?: string
  /** the `jti` of the subject's consent token the request carried (src/consent) */
  consent?: string
  /** kid of the key that signs this answer's receipt (src/receipts): the receipt is rebuilt from the entry */
  receiptKid?: string
  /** kind-specific facts without personal data (a load's counts, a change's resource and id) */
  detail?: Record<string, JsonValue>
}

export interface Entry extends EntryInput {
  v: 1
  index: number
  /** RFC 3339, UTC, milliseconds */
  at: string
}

const encoder = new TextEncoder()

export function makeEntry (input: EntryInput, index: number, at: Date): Entry {
  const entry: Entry = { v: 1, index, at: at.toISOString(), ...input }
  // Drop undefined members so the canonical bytes only hold what was said.
  for (const key of Object.keys(entry) as Array<keyof Entry>) {
    if (entry[key] === undefined) delete entry[key]
  }
  return entry
}

/**
 * RFC 8785 (JCS) serialisation of JSON data: object members sorted by the UTF-16 code units of
 * their names (§3.2.3, which is JavaScript's default string order), no whitespace, strings and
 * numbers as ECMAScript's JSON.stringify writes them (§3.2.2). Undefined members are left out;
 * non-finite numbers are refused. About 2.7× the speed of the `canonicalize` package on an entry,
 * which matters to `shifou audit verify`; test/audit/entry.test.ts cross-checks the two.
 */
export function canonicalJson (value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError('JCS has no representation for ' + String(value))
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) throw new TypeError('not JSON data')
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i])
    return out + ']'
  }
  let out = '{'
  let first = true
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key]
    if (member === undefined) continue
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(member)
    first = false
  }
  return out + '}'
}

/** RFC 8785 canonical bytes of an entry: the input of its Merkle leaf hash. */
export function canonicalBytes (entry: Entry): Uint8Array {
  return encoder.encode(canonicalJson(entry))
}

export function parseEntry (bytes: Uint8Array): Entry {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Entry
}
