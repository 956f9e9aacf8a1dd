/**
 * Abuse resistance (design §10): usage counters per client, shared by every service process and
 * kept across restarts, and the alerts the detectors raise. Subjects, names and ID prefixes appear
 * only as keyed hashes (under the audit key), never in the clear.
 */
import { bigint, boolean, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { bytea } from './types.ts'

/** Requests per client per minute. */
export const usageRequests = pgTable('usage_requests', {
  clientId: text().notNull(),
  minute: timestamp({ withTimezone: true }).notNull(),
  count: integer().notNull()
}, (t) => [primaryKey({ columns: [t.clientId, t.minute] })])

/** Distinct subjects per client per day (and whether any connector knew them). */
export const usageSubjects = pgTable('usage_subjects', {
  clientId: text().notNull(),
  day: date({ mode: 'string' }).notNull(),
  subject: bytea().notNull(),
  organisation: text(),
  /** keyed hash of the first 14 digits (region and birth date) */
  prefix: bytea().notNull(),
  known: boolean(),
  firstAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [
  primaryKey({ columns: [t.clientId, t.day, t.subject] }),
  // The prefix leads its index so that a lookup of one subject (client, day, subject) can only be
  // planned on the primary key: with the client first (migrations 0007, 0022) a plan made while the
  // table was small took it with the client as its only condition, and read every subject the
  // client had asked about that day.
  index('usage_subjects_prefix_idx').on(t.prefix, t.clientId, t.day)
])

/** Distinct subjects per client and case id. */
export const usageCaseSubjects = pgTable('usage_case_subjects', {
  clientId: text().notNull(),
  caseId: text().notNull(),
  subject: bytea().notNull(),
  firstAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.clientId, t.caseId, t.subject] })])

/** Distinct names tried against one subject, per client per day (names as keyed hashes). */
export const usageNames = pgTable('usage_names', {
  clientId: text().notNull(),
  day: date({ mode: 'string' }).notNull(),
  subject: bytea().notNull(),
  name: bytea().notNull(),
  firstAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ columns: [t.clientId, t.day, t.subject, t.name] })])

/** Per-client distinct subjects of a day, maintained by the limiter with the rows above. */
export const usageDaily = pgTable('usage_daily', {
  clientId: text().notNull(),
  day: date({ mode: 'string' }).notNull(),
  subjects: integer().notNull().default(0)
}, (t) => [primaryKey({ columns: [t.clientId, t.day] })])

export const alerts = pgTable('alerts', {
  id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  clientId: text(),
  organisation: text(),
  /** UNKNOWN_SUBJECTS, PREFIX_PROBE, NAME_GUESSING, QUOTA_FLOOD … */
  kind: text().notNull(),
  /** one alert per (kind, scope key) per day */
  dedupeKey: text().notNull().unique(),
  detail: jsonb().notNull(),
  suspended: boolean().notNull().default(false),
  /** when and by whom (the actor's sub) an auditor acknowledged it (migration 0055) */
  acknowledgedAt: timestamp({ withTimezone: true }),
  acknowledgedBy: text()
}, (t) => [index('alerts_at_idx').on(t.at)])
export type AlertRow = typeof alerts.$inferSelect

/** Per-organisation counters of a day, so that judging an organisation costs one row, not a count. */
export const usageOrgDaily = pgTable('usage_org_daily', {
  organisation: text().notNull(),
  day: date({ mode: 'string' }).notNull(),
  subjects: integer().notNull().default(0)
}, (t) => [primaryKey({ columns: [t.organisation, t.day] })])

/**
 * Misses of a day per client ('client:<id>') and per organisation ('org:<id>'), written by the
 * detectors only: kept apart from the limiter's counters so that the two never wait on one row.
 */
export const usageMisses = pgTable('usage_misses', {
  scope: text().notNull(),
  day: date({ mode: 'string' }).notNull(),
  unknown: integer().notNull().default(0)
}, (t) => [primaryKey({ columns: [t.scope, t.day] })])
