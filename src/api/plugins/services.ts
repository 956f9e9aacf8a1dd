/**
 * The domain services the routes use, built once at start-up: the database, keys, the in-memory
 * registry and the audit writer. On close, pending audit entries are flushed before the database
 * is released.
 */
import fp from 'fastify-plugin'
import type { Database } from '../../db/client.ts'
import type { Keyring } from '../../matchers/keyed-hash.ts'
import { AuditWriter } from '../../audit/writer.ts'
import type { CheckpointConfig } from '../../audit/checkpoints.ts'
import { AbuseMonitor } from '../../abuse/monitor.ts'
import type { AlertKind } from '../../abuse/detectors.ts'
import { RegistryCache } from '../../registry/cache.ts'
import type { RegistryDeps } from '../../registry/store.ts'

export interface Services {
  database: Database
  keyring: Keyring
  registry: RegistryCache
  audit: AuditWriter
  /** For registry changes: refreshes this process's registry at once. */
  registryDeps: RegistryDeps
  checkpoints: CheckpointConfig
  /** null when limits are switched off (benchmarks measuring their cost) */
  abuse: AbuseMonitor | null
  /** Set by the metrics plugin: counts alerts. */
  alertCounter: { inc: (kind: AlertKind) => void }
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
}

export default fp<ServicesOptions>(async (app, opts) => {
  const registry = new RegistryCache(opts.database, opts.registryTtlMs)
  const audit = new AuditWriter(opts.database, { checkpoints: opts.checkpoints, ...(opts.auditMaxBatch === undefined ? {} : { maxBatch: opts.auditMaxBatch }) })
  const services: Services = {
    database: opts.database,
    keyring: opts.keyring,
    registry,
    audit,
    registryDeps: { database: opts.database, onChange: () => registry.invalidate() },
    checkpoints: opts.checkpoints,
    abuse: null,
    alertCounter: { inc: () => {} }
  }
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
