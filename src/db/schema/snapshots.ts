/**
 * Snapshots: one complete load of a connector (design §4). Records themselves live in the
 * `records` table, partitioned by snapshot (hand-written migration 0001), so that a load fills
 * and indexes its own partition while the previous snapshot keeps answering, and becomes active
 * by attaching it in one short transaction.
 */
import {
  bigint, date, index, integer, jsonb, pgTable, smallint, text, timestamp, uniqueIndex
} from 'drizzle-orm/pg-core'
import { sql } from 'drizzle-orm'
import { connectors } from './registry.ts'

export interface RejectedRow { line: number, field: string, code: string }

export const snapshots = pgTable('snapshots', {
  id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  connectorId: text().notNull().references(() => connectors.id),
  /** loading → active → superseded; or loading → failed */
  status: text().notNull(),
  asOf: date({ mode: 'string' }).notNull(),
  rows: integer().notNull().default(0),
  subjects: integer().notNull().default(0),
  rejectedCount: integer().notNull().default(0),
  rejected: jsonb().$type<RejectedRow[]>().notNull().default([]),
  ignoredColumns: jsonb().$type<string[]>().notNull().default([]),
  keyVersion: smallint().notNull(),
  norm: text().notNull(),
  error: text(),
  startedBy: text().notNull(),
  startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  loadedAt: timestamp({ withTimezone: true }),
  supersededAt: timestamp({ withTimezone: true }),
  dropped: integer().notNull().default(0)
}, (t) => [
  index('snapshots_connector_idx').on(t.connectorId, t.id),
  // At most one load per connector at a time (409 LOAD_IN_PROGRESS).
  uniqueIndex('snapshots_one_load_idx').on(t.connectorId).where(sql`status = 'loading'`)
])
export type SnapshotRow = typeof snapshots.$inferSelect
