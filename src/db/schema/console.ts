/**
 * The console's sessions (design §14.4; src/console/sessions.ts). Found by the SHA-256 of the
 * cookie's token; the principal is sealed under a key derived from that token, so the table holds
 * no identifier and no usable session.
 */
import { index, pgTable, timestamp } from 'drizzle-orm/pg-core'
import { bytea } from './types.ts'

export const consoleSessions = pgTable('console_sessions', {
  tokenHash: bytea().primaryKey(),
  /** AES-256-GCM: 12-byte nonce ‖ ciphertext ‖ 16-byte tag */
  principal: bytea().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  lastSeen: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index('console_sessions_last_seen_idx').on(t.lastSeen)])
export type ConsoleSessionRow = typeof consoleSessions.$inferSelect
