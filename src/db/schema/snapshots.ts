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
import { bytea } from './types.ts'

/** A rejected row as the load's answer lists it (the first 1,000; all of them are in snapshot_rejects). */
export interface RejectedRow { line: number, field: string, code: string, reason?: string }

export const snapshots = pgTable('snapshots', {
  id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  connectorId: text().notNull().references(() => connectors.id),
  /** loading → active → superseded; or loading → failed, or loading → abandoned (its process died) */
  status: text().notNull(),
  asOf: date({ mode: 'string' }).notNull(),
  rows: integer().notNull().default(0),
  subjects: integer().notNull().default(0),
  rejectedCount: integer().notNull().default(0),
  rejected: jsonb().$type<RejectedRow[]>().notNull().default([]),
  ignoredColumns: jsonb().$type<string[]>().notNull().default([]),
  /** rejected rows by code, e.g. {"INVALID_VALUE": 12} */
  rejectedByCode: jsonb().$type<Record<string, number>>().notNull().default({}),
  /** subjects marked unreadable: behind a rejected row (design §14.1) */
  unreadableSubjects: integer().notNull().default(0),
  /** rejected rows whose ID could not be read at all */
  unlinkableRows: integer().notNull().default(0),
  keyVersion: smallint().notNull(),
  norm: text().notNull(),
  error: text(),
  startedBy: text().notNull(),
  startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  loadedAt: timestamp({ withTimezone: true }),
  /** when the attempt ended: activated, failed or found abandoned */
  finishedAt: timestamp({ withTimezone: true }),
  supersededAt: timestamp({ withTimezone: true }),
  dropped: integer().notNull().default(0),
  /** a sync's digest of its rows (src/connectors/pull/sync.ts): equal to the active one's means unchanged */
  digest: bytea()
}, (t) => [
  index('snapshots_connector_idx').on(t.connectorId, t.id),
  // At most one load per connector at a time (409 LOAD_IN_PROGRESS).
  uniqueIndex('snapshots_one_load_idx').on(t.connectorId).where(sql`status = 'loading'`)
])
export type SnapshotRow = typeof snapshots.$inferSelect

/**
 * Every rejected row of a load attempt, for its reject report (GET
 * /v1/connectors/:id/snapshots/:snapshot/rejects): where and why, never the value.
 */
export const snapshotRejects = pgTable('snapshot_rejects', {
  snapshotId: bigint({ mode: 'number' }).notNull().references(() => snapshots.id),
  line: bigint({ mode: 'number' }).notNull(),
  field: text().notNull(),
  code: text().notNull(),
  reason: text().notNull()
}, (t) => [index('snapshot_rejects_snapshot_idx').on(t.snapshotId, t.line)])
