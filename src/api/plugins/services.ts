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
}

export default fp<ServicesOptions>(async (app, opts) => {
  const registry = new RegistryCache(opts.database, opts.registryTtlMs)
  const audit = new AuditWriter(opts.database, { checkpoints: opts.checkpoints, ...(opts.auditMaxBatch === undefined ? {} : { maxBatch: opts.auditMaxBatch }) })
  app.decorate('services', {
    database: opts.database,
    keyring: opts.keyring,
    registry,
    audit,
    registryDeps: { database: opts.database, onChange: () => registry.invalidate() },
    checkpoints: opts.checkpoints
  })
  app.addHook('onClose', async () => {
    await audit.close()
    if (opts.ownsDatabase) await opts.database.close()
  })
}, { name: 'services' })
