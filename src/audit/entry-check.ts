/**
 * The checks of `shifou audit verify` (log-check.ts) that each entry passes on its own: its bytes
 * are JSON and canonical (RFC 8785), name their own index, hash to the stored leaf hash, and say
 * what the row's columns say. Pure and synchronous, so that they run the same on the verifying
 * thread and on a worker thread beside it (entry-check-worker.ts), a page of entries at a time.
 */
import { canonicalJson } from '../crypto/jcs.ts'
import { parseEntry, type Entry } from './entry.ts'
import { equalHashes, leafHash } from './hasher.ts'

export interface Problem {
  /** The first index that is wrong, or the first that can no longer be vouched for. */
  index: number
  /** When the damage can only be located to a range: its last index. */
  through?: number
  reason: string
}

const encoder = new TextEncoder()

/** A row of audit_entries as `shifou audit verify` reads it. */
export interface EntryRow {
  index: number
  at: Date | string
  kind: string
  actor_sub: string
  actor_role: string
  caller: string | null
  question: string | null
  purpose: string | null
  case_id: string | null
  answer: string | null
  code: string | null
  subject: string | null
  verification: string | null
  snapshot: number | null
  entry: Uint8Array
  leaf_hash: Uint8Array
}

function columnMismatch (row: EntryRow, e: Entry): string | null {
  // One comparison after another, without building a list of them: this runs once per entry.
  // `at` too: auditors' time filters and exports select on the column.
  if ((row.at instanceof Date ? row.at : new Date(row.at)).toISOString() !== e.at) return 'at'
  if (row.kind !== e.kind) return 'kind'
  if (row.actor_sub !== e.actor?.sub) return 'actor_sub'
  if (row.actor_role !== e.actor?.role) return 'actor_role'
  if (row.caller !== (e.caller ?? null)) return 'caller'
  if (row.question !== (e.question ?? null)) return 'question'
  if (row.purpose !== (e.purpose ?? null)) return 'purpose'
  if (row.case_id !== (e.caseId ?? null)) return 'case_id'
  if (row.answer !== (e.answer ?? null)) return 'answer'
  if (row.code !== (e.code ?? null)) return 'code'
  if (row.subject !== (e.subject ?? null)) return 'subject'
  if (row.verification !== (e.verification ?? null)) return 'verification'
  if ((row.snapshot === null ? null : Number(row.snapshot)) !== (e.snapshot ?? null)) return 'snapshot'
  return null
}

/**
 * Whether `entry`'s RFC 8785 bytes are `bytes`: encoded into a buffer kept for the purpose rather
 * than a new one per entry (a million entries' worth of garbage otherwise).
 */
let scratch = new Uint8Array(4096)
function isCanonical (entry: Entry, bytes: Uint8Array): boolean {
  const text = canonicalJson(entry)
  // UTF-8 takes at most 3 bytes for each UTF-16 code unit.
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3)
  const { written } = encoder.encodeInto(text, scratch)
  return written === bytes.length && equalHashes(scratch.subarray(0, written), bytes)
}

export function checkEntry (row: EntryRow, expected: number): Problem | null {
  let entry: Entry
  const bytes = row.entry
  const at = (reason: string): Problem => ({ index: expected, reason })
  try {
    entry = parseEntry(bytes)
  } catch {
    return at('the entry bytes are not JSON')
  }
  if (entry.index === expected - 1 && expected > 0) {
    // Rows expected - 1 and expected both hold an entry numbered expected - 1: either is the
    // intruder, so the earlier one can no longer be vouched for (an insertion shifts the rest up).
    return {
      index: expected - 1,
      through: expected,
      reason: `entries ${expected - 1} and ${expected} both hold an entry of index ${expected - 1} ` +
        `(a row was inserted at ${expected - 1}, or copied to ${expected})`
    }
  }
  if (entry.index !== expected) {
    return at(`the entry bytes are those of index ${String(entry.index)} (a row was inserted, moved or swapped)`)
  }
  if (!isCanonical(entry, bytes)) return at('the entry bytes are not canonical (RFC 8785)')
  if (!equalHashes(leafHash(bytes), row.leaf_hash)) {
    return at('the stored leaf hash does not match the entry bytes')
  }
  const column = columnMismatch(row, entry)
  if (column !== null) return at(`column ${column} differs from the entry bytes`)
  return null
}

/** The first entry of a page that fails its own checks: its position in the page and the problem. */
export interface PageProblem { position: number, problem: Problem }

/**
 * Checks the entries of a page whose first row should hold entry `first`, up to the first that
 * fails, or up to a row that is not the next index (the verifier reports the gap itself).
 */
export function checkPage (rows: readonly EntryRow[], first: number): PageProblem | null {
  for (let position = 0; position < rows.length; position++) {
    const expected = first + position
    if (Number(rows[position]!.index) !== expected) return null
    const problem = checkEntry(rows[position]!, expected)
    if (problem !== null) return { position, problem }
  }
  return null
}
