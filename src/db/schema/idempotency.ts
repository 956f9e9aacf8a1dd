/**
 * Idempotency keys (design §14.6; src/idempotency, migration 0013): a key claimed by a request, then
 * recorded as done in the transaction of its answer's audit entries. The key and the request are
 * stored as keyed hashes only.
 */
import { check, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'
import { bytea } from './types.ts'

export const idempotencyKeys = pgTable('idempotency_keys', {
  clientId: text().notNull(),
  keyHash: bytea().notNull(),
  /** the route the key was used on (a key is for one request on one route) */
  route: text().notNull(),
  requestHash: bytea().notNull(),
  /** the claim of the request that holds the key; its completion must name it */
  claim: uuid().notNull(),
  state: text().notNull(),
  /** a pending claim older than this may be taken over (its request is gone) */
  leaseUntil: timestamp({ withTimezone: true }).notNull(),
  /** what a repeat replays: verification ids and problem documents, never an answer's subject */
  response: jsonb(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp({ withTimezone: true }).notNull()
}, (t) => [
  primaryKey({ columns: [t.clientId, t.keyHash] }),
  check('idempotency_keys_state_check', sql`${t.state} IN ('pending', 'done')`),
  index('idempotency_keys_expires_at_idx').on(t.expiresAt)
])
export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect
