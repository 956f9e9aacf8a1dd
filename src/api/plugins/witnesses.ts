/**
 * Witnesses (design §14.5): feeds every checkpoint the audit writer signs to the witnesses in
 * SHIFOU_WITNESSES (src/witness/feeder.ts), in the background, and counts the outcomes in
 * /metrics. With no witnesses configured it does nothing.
 */
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import type { WitnessConfig } from '../../config.ts'
import { WitnessFeeder } from '../../witness/feeder.ts'

export interface WitnessesOptions {
  witnesses: readonly WitnessConfig[]
}

export default fp<WitnessesOptions>(async (app, opts) => {
  if (opts.witnesses.length === 0) return
  const { audit, database, checkpoints } = app.services
  const registry = app.metrics.registry
  const outcomes = new Counter({
    name: 'shifou_witness_requests_total',
    help: 'Checkpoints sent to witnesses, by witness and result ' +
      '(cosigned, conflict, refused, unavailable, bad_cosignature, ahead, error)',
    labelNames: ['witness', 'result'],
    registers: [registry]
  })
  const failures = new Counter({
    name: 'shifou_witness_failures_total',
    help: 'Attempts to get a checkpoint cosigned that failed (retried later; answers are unaffected)',
    labelNames: ['witness'],
    registers: [registry]
  })
  const feeder = new WitnessFeeder({
    database,
    origin: checkpoints.origin,
    logKey: { name: checkpoints.signer.name, publicKey: checkpoints.signer.publicKey },
    witnesses: opts.witnesses,
    onOutcome: (witness, result, detail) => {
      outcomes.inc({ witness, result })
      if (result === 'cosigned' || result === 'conflict') return
      failures.inc({ witness })
      // The witness's name and what it said: no request data is involved.
      app.log.warn({ witness, result, detail }, 'a witness did not cosign the latest checkpoint')
    }
  })
  new Gauge({
    name: 'shifou_witness_cosigned_size',
    help: 'The log size each witness last cosigned, as this process knows it',
    labelNames: ['witness'],
    registers: [registry],
    collect () { for (const s of feeder.sizes()) this.set({ witness: s.witness }, s.size) }
  })
  audit.onCheckpoint(() => { feeder.notify() })
  app.addHook('onReady', async () => { feeder.notify() })
  app.addHook('onClose', async () => { await feeder.close() })
}, { name: 'witnesses', dependencies: ['services', 'metrics'] })
