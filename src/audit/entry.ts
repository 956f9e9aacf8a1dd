/**
 * Audit entries (design §8) and their canonical bytes: the RFC 8785 (JCS) serialisation of the
 * entry, including its own index, is the Merkle leaf (RFC 9162 §2.1.1). An entry holds ids,
 * codes and the subject's audit pseudonym, never an identifier or a name.
 */
import { canonicalJson } from '../crypto/jcs.ts'

export const ENTRY_KINDS = ['answer', 'refusal', 'subject-search', 'export', 'load', 'change', 'lookup'] as const
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

/** RFC 8785 canonical bytes of an entry: the input of its Merkle leaf hash. */
export function canonicalBytes (entry: Entry): Uint8Array {
  return encoder.encode(canonicalJson(entry))
}

export function parseEntry (bytes: Uint8Array): Entry {
  return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as Entry
}
