/**
 * Pull connectors' scheduled syncs (src/connectors/pull/scheduler.ts): started with the service,
 * stopped (waiting for a running sync) when it closes. A sync's outcome is logged by connector and
 * code only, never the source's URL or a value.
 */
import fp from 'fastify-plugin'
import { SyncScheduler } from '../../connectors/pull/scheduler.ts'

declare module 'fastify' {
  interface FastifyInstance {
    scheduler: SyncScheduler
  }
}

export default fp<{ start?: boolean }>(async (app, opts) => {
  const scheduler = new SyncScheduler({
    database: app.database,
    keyring: app.keyring,
    onActivated: () => { app.registry.invalidate() }
  }, (outcome) => {
    if (outcome.code === 'ACTIVE' || outcome.code === 'UNCHANGED') app.log.info(outcome, 'scheduled sync')
    else app.log.warn(outcome, 'scheduled sync failed')
  })
  app.decorate('scheduler', scheduler)
  if (opts.start !== false) app.addHook('onReady', async () => { scheduler.start() })
  app.addHook('onClose', async () => { await scheduler.stop() })
}, { name: 'scheduler', dependencies: ['database', 'keys', 'registry'] })
