/**
 * Reading a subject's records: each connector's lookups go to the record source of its kind
 * (src/connectors/lookups.ts); the hub's snapshots are read one statement per batch.
 */
import fp from 'fastify-plugin'
import { ConnectorLookups } from '../../connectors/lookups.ts'

declare module 'fastify' {
  interface FastifyInstance {
    records: ConnectorLookups
  }
}

export default fp<{ agentTimeoutMs?: number }>(async (app, opts) => {
  const records = new ConnectorLookups({
    database: app.database,
    keyring: app.keyring,
    ...(opts.agentTimeoutMs === undefined ? {} : { agentTimeoutMs: opts.agentTimeoutMs })
  })
  app.decorate('records', records)
  app.addHook('onClose', async () => { await records.close() })
}, { name: 'records', dependencies: ['database', 'keys'] })
