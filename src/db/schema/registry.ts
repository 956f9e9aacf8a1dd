/**
 * The registry: departments, connectors, questions and clients (design §4, §5). Definitions are
 * kept as validated JSON; nothing here holds personal data.
 */
import {
  boolean, index, integer, jsonb, pgTable, primaryKey, real, smallint, text, timestamp, bigint
} from 'drizzle-orm/pg-core'

export const departments = pgTable('departments', {
  id: text().primaryKey(),
  name: text().notNull(),
  active: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
export type DepartmentRow = typeof departments.$inferSelect

/** Where a connector of kind "agent" is asked, and the Ed25519 key (base64url) its answers are signed with. */
export interface AgentRef { url: string, publicKey: string }
/** A title in two languages (design §14.4); either may be missing, readers fall back to the other. */
export interface Titles { zh?: string, en?: string }

/** A declared field; `column` is the file's header for it when that is not the field's name (design §14.1). */
export interface FieldDef { name: string, type: string, column?: string }

export const connectors = pgTable('connectors', {
  id: text().primaryKey(),
  departmentId: text().notNull().references(() => departments.id),
  title: text().notNull(),
  titles: jsonb().$type<Titles>(),
  kind: text().notNull(),
  subjectField: text().notNull(),
  subjectType: text().notNull(),
  /** the file's header of the subject's column, when it is not `subjectField` (design §14.1) */
  subjectColumn: text(),
  fields: jsonb().$type<FieldDef[]>().notNull(),
  maxRejectRatio: real().notNull(),
  /** questions over a snapshot older than this many days are refused (503 CONNECTOR_STALE); null: no limit */
  maxAgeDays: integer(),
  /** rows of one subject a snapshot may hold; a load rejects the rows beyond (TOO_MANY_RECORDS, design §14.1) */
  maxRecordsPerSubject: integer().notNull().default(1000),
  /** the key version new loads hash under once the connector's keys were rotated; null: never rotated */
  keyVersion: smallint(),
  activeSnapshotId: bigint({ mode: 'number' }),
  /** kind "agent": the department's agent the hub asks (design §14.3); null otherwise */
  agent: jsonb().$type<AgentRef>(),
  active: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [index('connectors_department_idx').on(t.departmentId)])
export type ConnectorRow = typeof connectors.$inferSelect

/**
 * A connector key version made by a rotation (design §14.2): derived from master key
 * `masterVersion` with the version in its HKDF info. A snapshot's key version without a row here
 * is the master key version itself (the derivation from before rotation).
 */
export const connectorKeys = pgTable('connector_keys', {
  connectorId: text().notNull().references(() => connectors.id),
  version: smallint().notNull(),
  masterVersion: smallint().notNull(),
  createdBy: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow()
}, (t) => [primaryKey({ name: 'connector_keys_pk', columns: [t.connectorId, t.version] })])

export const questions = pgTable('questions', {
  id: text().primaryKey(),
  connectorId: text().notNull().references(() => connectors.id),
  title: text().notNull(),
  titles: jsonb().$type<Titles>(),
  description: text().notNull().default(''),
  params: jsonb().$type<Record<string, string>>().notNull(),
  when: jsonb().notNull(),
  /** The request must carry a consent token of the subject (design §9, issue "consent"). */
  requiresConsent: boolean().notNull().default(false),
  active: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
export type QuestionRow = typeof questions.$inferSelect

export interface Quotas {
  requestsPerMinute: number
  subjectsPerDay: number
  subjectsPerCase: number
  namesPerSubjectPerDay: number
}

export const clients = pgTable('clients', {
  id: text().primaryKey(),
  name: text().notNull(),
  organisation: text(),
  questions: jsonb().$type<string[]>().notNull(),
  purposes: jsonb().$type<string[]>().notNull(),
  quotas: jsonb().$type<Quotas>().notNull(),
  confidential: boolean().notNull().default(false),
  /** Confidential clients appear in a citizen's access log only this long after asking. */
  disclosureDelaySeconds: integer().notNull().default(0),
  /** Suspend the client automatically when an abuse detector raises an alert. */
  autoSuspend: boolean().notNull().default(false),
  active: boolean().notNull().default(true),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
export type ClientRow = typeof clients.$inferSelect

/** Registered purposes (design §14.4): a code clients list, with its titles. */
export const purposes = pgTable('purposes', {
  id: text().primaryKey(),
  titles: jsonb().$type<Titles>().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
export type PurposeRow = typeof purposes.$inferSelect
