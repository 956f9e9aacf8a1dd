/**
 * The audit log (design §8). `audit_entries` holds every entry's canonical bytes (RFC 8785 JCS)
 * and leaf hash, with a few columns copied out of the entry for the auditor's filters. Rows are
 * append-only (trigger in migration 0001).
 */
import { bigint, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
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
