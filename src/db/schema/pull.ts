/**
 * Pull connectors' sources (design §14.2): for a connector of kind `pull`, the department's
 * database and query, and its schedule. The URL, which holds the credentials, is kept only sealed
 * (src/connectors/pull/secret.ts); `host` and `database` are what may be shown of it.
 */
import { pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { connectors } from './registry.ts'

export const connectorSources = pgTable('connector_sources', {
  connectorId: text().primaryKey().references(() => connectors.id),
  engine: text().notNull(),
  host: text().notNull(),
  database: text().notNull(),
  query: text().notNull(),
  /** the source URL, sealed with AES-256-GCM; never returned */
  sealedUrl: text().notNull(),
  /** 5-field cron, China Standard Time; null: synced only on request */
  schedule: text(),
  /** the last scheduled minute a service process claimed (exactly one runs each) */
  scheduleClaimedAt: timestamp({ withTimezone: true }),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow()
})
export type ConnectorSourceRow = typeof connectorSources.$inferSelect
