/**
 * Witnesses (design §14.5): feeds every checkpoint the audit writer signs to the witnesses in
 * SHIFOU_WITNESSES (src/witness/feeder.ts), in the background, and reports each outcome as a
 * `witness` event (counted by the metrics plugin). With no witnesses configured it does nothing.
 */
import fp from 'fastify-plugin'
import type { WitnessConfig } from '../../config.ts'
import { WitnessFeeder } from '../../witness/feeder.ts'

declare module 'fastify' {
  interface FastifyInstance {
    witnesses: WitnessFeeder
  }
}

export interface WitnessesOptions {
  witnesses: readonly WitnessConfig[]
}

export default fp<WitnessesOptions>(async (app, opts) => {
  const { signer, origin } = app.checkpoints
  const feeder = new WitnessFeeder({
    database: app.database,
    origin,
    logKey: { name: signer.name, publicKey: signer.publicKey },
    witnesses: opts.witnesses,
    onOutcome: (witness, result, detail) => {
      app.events.emit('witness', { witness, result })
      if (result === 'cosigned' || result === 'conflict') return
      // The witness's name and what it said: no request data is involved.
      app.log.warn({ witness, result, detail }, 'a witness did not cosign the latest checkpoint')
    }
  })
  app.decorate('witnesses', feeder)
  if (opts.witnesses.length === 0) return
  app.audit.onCheckpoint(() => { feeder.notify() })
  app.addHook('onReady', async () => { feeder.notify() })
  app.addHook('onClose', async () => { await feeder.close() })
}, { name: 'witnesses', dependencies: ['database', 'audit', 'events'] })
