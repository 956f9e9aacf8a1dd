/**
 * The registry (src/registry): departments, connectors, questions and clients as the hot path
 * sees them, in memory, refreshed at once after a change made here and within a second after one
 * made by another process.
 */
import fp from 'fastify-plugin'
import { RegistryCache } from '../../registry/cache.ts'
import type { RegistryDeps } from '../../registry/store.ts'
import { sealSource, SOURCE_KEY_INFO } from '../../connectors/pull/secret.ts'

declare module 'fastify' {
  interface FastifyInstance {
    registry: RegistryCache
    /** For registry changes: each refreshes this process's registry once committed. */
    registryChanges: RegistryDeps
  }
}

export default fp<{ ttlMs?: number }>(async (app, opts) => {
  const registry = new RegistryCache(app.database, opts.ttlMs)
  app.decorate('registry', registry)
  const sourceKey = app.keyring.derive(SOURCE_KEY_INFO)
  app.decorate('registryChanges', {
    database: app.database,
    onChange: () => { registry.invalidate() },
    sealSource: (connectorId: string, url: string) => sealSource(sourceKey, connectorId, url)
  })
}, { name: 'registry', dependencies: ['database', 'keys'] })
