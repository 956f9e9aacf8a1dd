/**
 * The audit log (design §8). `audit_entries` holds every entry's canonical bytes (RFC 8785 JCS)
 * and leaf hash, with a few columns copied out of the entry for the auditor's filters. Rows are
 * append-only (trigger in migration 0001).
 */
import { bigint, index, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core'
import { bytea } from './types.ts'

export const auditEntries = pgTable('audit_entries', {
  index: bigint({ mode: 'number' }).primaryKey(),
  at: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  kind: text().notNull(),
  actorSub: text().notNull(),
  actorRole: text().notNull(),
  caller: text(),
  question: text(),
  purpose: text(),
  caseId: text(),
  answer: text(),
  code: text(),
  subject: text(),
  verification: text(),
  snapshot: bigint({ mode: 'number' }),
  entry: bytea().notNull(),
  leafHash: bytea().notNull()
}, (t) => [
  index('audit_entries_at_idx').on(t.at),
  index('audit_entries_caller_idx').on(t.caller, t.index),
  index('audit_entries_subject_idx').on(t.subject, t.index),
  index('audit_entries_case_idx').on(t.caseId, t.index),
  index('audit_entries_question_idx').on(t.question, t.index)
])
export type AuditEntryRow = typeof auditEntries.$inferSelect

/**
 * Perfect subtree hashes of the Merkle tree above the leaves (level ≥ 1), each written once when
 * it becomes complete; leaf hashes (level 0) are `audit_entries.leaf_hash`. Any root or proof is
 * then O(log n) reads.
 */
export const auditNodes = pgTable('audit_nodes', {
  level: smallint().notNull(),
  index: bigint({ mode: 'number' }).notNull(),
  hash: bytea().notNull()
}, (t) => [primaryKey({ columns: [t.level, t.index] })])

/** Signed checkpoints (C2SP tlog-checkpoint notes) of the log at a size. */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  size: bigint({ mode: 'number' }).primaryKey(),
  root: bytea().notNull(),
  note: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})

/**
 * Witnesses' cosignatures (C2SP tlog-cosignature) of the log's checkpoints, one per witness key
 * and checkpoint size: the signature line as the witness returned it, with the root it covers so
 * that each row can be checked on its own (even if its checkpoint row were gone). Append-only.
 */
export const auditCosignatures = pgTable('audit_cosignatures', {
  size: bigint({ mode: 'number' }).notNull(),
  /** The witness's key name (the signature line's name). */
  witness: text().notNull(),
  /** The 4-byte key ID, hex. */
  keyId: text().notNull(),
  root: bytea().notNull(),
  /** `— <name> <base64(key ID ‖ timestamp ‖ signature)>`, without the newline. */
  signature: text().notNull(),
  /** The cosignature's own timestamp (seconds). */
  cosignedAt: timestamp({ withTimezone: true }).notNull(),
  receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.size, t.witness, t.keyId] })])
export type AuditCosignatureRow = typeof auditCosignatures.$inferSelect
