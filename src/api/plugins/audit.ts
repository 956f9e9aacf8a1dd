/**
 * The audit log's writer (src/audit/writer.ts): group-committed entries and signed checkpoints.
 * On close, pending entries are flushed and a last checkpoint is signed before the database goes.
 */
import fp from 'fastify-plugin'
import { AuditWriter } from '../../audit/writer.ts'
import type { CheckpointConfig } from '../../audit/checkpoint-store.ts'

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditWriter
    checkpoints: CheckpointConfig
  }
}

export default fp<{ checkpoints: CheckpointConfig }>(async (app, opts) => {
  const audit = new AuditWriter(app.database, { checkpoints: opts.checkpoints })
  app.decorate('audit', audit)
  app.decorate('checkpoints', opts.checkpoints)
  app.addHook('onClose', async () => { await audit.close() })
}, { name: 'audit', dependencies: ['database'] })
