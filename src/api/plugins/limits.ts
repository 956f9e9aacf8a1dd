/**
 * Admission (design §10): the per-client limits and the abuse detectors (src/abuse), consulted by
 * every verification before any record is read. Alerts become events (metrics count them) and log
 * lines that name the kind and the client only; a suspension refreshes the registry. Benchmarks
 * inject ADMIT_ALL to measure what the limits cost.
 */
import fp from 'fastify-plugin'
import { AbuseMonitor } from '../../abuse/monitor.ts'
import type { Admission } from '../../abuse/admission.ts'

declare module 'fastify' {
  interface FastifyInstance {
    admission: Admission
  }
}

export default fp<{ override?: Admission }>(async (app, opts) => {
  const admission = opts.override ?? new AbuseMonitor({
    database: app.database,
    onAlert: (kind, client) => {
      app.events.emit('alert', { kind, client })
      app.log.warn({ alert: kind, client }, 'abuse detector raised an alert')
    },
    onSuspend: (client) => {
      app.registry.invalidate()
      app.log.warn({ client }, 'client suspended by the abuse detector')
    }
  })
  app.decorate('admission', admission)
  app.addHook('onClose', async () => { await admission.drain() })
}, { name: 'limits', dependencies: ['database', 'registry', 'events'] })
