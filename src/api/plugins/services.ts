/**
 * The domain services the routes use, built once at start-up: the database, keys, the in-memory
 * registry and the audit writer. On close, pending audit entries are flushed before the database
 * is released.
 */
import fp from 'fastify-plugin'
import type { Database } from '../../db/client.ts'
import type { Keyring } from '../../keys/keyring.ts'
import { AuditWriter } from '../../audit/writer.ts'
import type { CheckpointConfig } from '../../audit/checkpoint-store.ts'
import { AbuseMonitor } from '../../abuse/monitor.ts'
import type { AlertKind } from '../../abuse/detectors.ts'
import { RegistryCache } from '../../registry/cache.ts'
import type { RegistryDeps } from '../../registry/store.ts'
import { ReceiptService } from '../../receipts/service.ts'
import { RecordLookups } from '../../connectors/records.ts'
import { ConsentVerifier } from '../../consent/check.ts'
import { loadConsentIssuers } from '../../consent/issuers.ts'

export interface Services {
  database: Database
  keyring: Keyring
  registry: RegistryCache
  /** Lookups of concurrent verifications, one statement per batch */
  lookups: RecordLookups
  audit: AuditWriter
  /** For registry changes: refreshes this process's registry at once. */
  registryDeps: RegistryDeps
  checkpoints: CheckpointConfig
  /** null when limits are switched off (benchmarks measuring their cost) */
  abuse: AbuseMonitor | null
  /** Set by the metrics plugin: counts alerts. */
  alertCounter: { inc: (kind: AlertKind) => void }
  /** Signs answers' receipts (design §9); null only when a benchmark switches receipts off. */
  receipts: ReceiptService | null
  /** Checks consent tokens against the configured issuers (none configured: every token is refused). */
  consent: ConsentVerifier
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

export interface ServicesOptions {
  database: Database
  keyring: Keyring
  /** Close the database with the app (the CLI's server owns it; tests may keep it). */
  ownsDatabase: boolean
  registryTtlMs?: number
  auditMaxBatch?: number
  checkpoints: CheckpointConfig
  /** Per-client limits and abuse detectors (default on). */
  limits?: boolean
  /** Receipt issuer and log origin, or false to answer without receipts (benchmarks only). */
  receipts: { issuer: string, log: string } | false
  /** SHIFOU_CONSENT_ISSUERS: a JSON file of consent issuers and their keys, or null. */
  consentIssuersFile: string | null
}

export default fp<ServicesOptions>(async (app, opts) => {
  const registry = new RegistryCache(opts.database, opts.registryTtlMs)
  const audit = new AuditWriter(opts.database, { checkpoints: opts.checkpoints, ...(opts.auditMaxBatch === undefined ? {} : { maxBatch: opts.auditMaxBatch }) })
  const services: Services = {
    database: opts.database,
    keyring: opts.keyring,
    registry,
    lookups: new RecordLookups(opts.database),
    audit,
    registryDeps: { database: opts.database, onChange: () => registry.invalidate() },
    checkpoints: opts.checkpoints,
    abuse: null,
    alertCounter: { inc: () => {} },
    receipts: opts.receipts === false ? null : new ReceiptService({ database: opts.database, keyring: opts.keyring, ...opts.receipts }),
    consent: new ConsentVerifier(opts.consentIssuersFile === null ? new Map() : loadConsentIssuers(opts.consentIssuersFile))
  }
  // A current signing key exists before the first answer (made here on a fresh database).
  await services.receipts?.init()
  if (opts.limits !== false) {
    services.abuse = new AbuseMonitor({
      database: opts.database,
      onAlert: (kind, client) => {
        services.alertCounter.inc(kind)
        // Kind and client only: an alert's log line names no subject.
        app.log.warn({ alert: kind, client }, 'abuse detector raised an alert')
      },
      onSuspend: (client) => {
        registry.invalidate()
        app.log.warn({ client }, 'client suspended by the abuse detector')
      }
    })
  }
  app.decorate('services', services)
  app.addHook('onClose', async () => {
    await services.abuse?.drain()
    await audit.close()
    if (opts.ownsDatabase) await opts.database.close()
  })
}, { name: 'services' })
