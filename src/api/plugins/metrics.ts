/**
 * Prometheus metrics at GET /metrics. Labels are route patterns, methods, status codes and error
 * codes only: never a value a client sent.
 */
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { ErrorCode } from '../../errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { answers: Counter<'answer'>, registry: Registry }
  }
}

export default fp(async (app) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'shifou_' })
  const requests = new Counter({ name: 'shifou_http_requests_total', help: 'HTTP requests by route pattern and status', labelNames: ['method', 'route', 'status'], registers: [registry] })
  const duration = new Histogram({ name: 'shifou_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['route'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry] })
  const problems = new Counter({ name: 'shifou_problems_total', help: 'Error responses by code (400 malformed, 401 bad token, 403/429/503 refusals)', labelNames: ['code', 'status'], registers: [registry] })
  const answers = new Counter({ name: 'shifou_answers_total', help: 'Answers given', labelNames: ['answer'], registers: [registry] })
  const audit = app.services.audit
  new Gauge({ name: 'shifou_audit_pending_entries', help: 'Audit entries waiting for the next group commit', registers: [registry], collect () { this.set(audit.pending) } })
  new Gauge({ name: 'shifou_audit_batches', help: 'Audit batches committed by this process', registers: [registry], collect () { this.set(audit.batches) } })
  new Gauge({ name: 'shifou_audit_failures', help: 'Audit batches that failed (their requests got 503)', registers: [registry], collect () { this.set(audit.failures) } })

  const alerts = new Counter({ name: 'shifou_alerts_total', help: 'Alerts raised by the abuse detectors, by kind', labelNames: ['kind'], registers: [registry] })
  app.services.alertCounter.inc = (kind) => { alerts.inc({ kind }) }
  const abuse = app.services.abuse
  new Gauge({ name: 'shifou_detector_failures', help: 'Detector runs that failed (answers are unaffected)', registers: [registry], collect () { this.set(abuse?.failures ?? 0) } })
  new Gauge({ name: 'shifou_detector_observations', help: 'Requests the detectors observed: those that passed the limiter with a subject or name new to their client that day', registers: [registry], collect () { this.set(abuse?.observations ?? 0) } })
  app.decorate('metrics', { answers, registry })
  app.decorate('onProblem', (code: ErrorCode, status: number) => { problems.inc({ code, status: String(status) }) })

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown'
    requests.inc({ method: request.method, route, status: String(reply.statusCode) })
    duration.observe({ route }, reply.elapsedTime / 1000)
  })

  app.get('/metrics', { config: { roles: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}, { name: 'metrics', dependencies: ['services'] })
