/**
 * Prometheus metrics at GET /metrics. Labels are route patterns, methods, status codes and error
 * codes only: never a value a client sent. Counters follow the app's events; gauges read the audit
 * writer and the detectors when scraped.
 */
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { connectorHealth, type ConnectorHealth } from '../../connectors/health.ts'

export default fp(async (app) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'shifou_' })
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    new Counter({ name, help, labelNames, registers: [registry] })
  /** A gauge read when /metrics is scraped. */
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({ name, help, registers: [registry], collect () { this.set(read()) } })
  }

  const requests = counter('shifou_http_requests_total', 'HTTP requests by route pattern and status',
    ['method', 'route', 'status'])
  const duration = new Histogram({
    name: 'shifou_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry]
  })
  const problems = counter('shifou_problems_total',
    'Error responses by code (400 malformed, 401 bad token, 403/429/503 refusals)', ['code', 'status'])
  const answers = counter('shifou_answers_total', 'Answers given', ['answer'])
  const alerts = counter('shifou_alerts_total', 'Alerts raised by the abuse detectors, by kind', ['kind'])
  app.events.on('answer', ({ answer }) => { answers.inc({ answer }) })
  app.events.on('problem', ({ code, status }) => { problems.inc({ code, status: String(status) }) })
  app.events.on('alert', ({ kind }) => { alerts.inc({ kind }) })
  const witnessRequests = counter('shifou_witness_requests_total', 'Checkpoints sent to witnesses, by witness ' +
    'and result (cosigned, conflict, refused, unavailable, bad_cosignature, ahead, error)', ['witness', 'result'])
  const witnessFailures = counter('shifou_witness_failures_total',
    'Attempts to get a checkpoint cosigned that failed (retried later; answers are unaffected)', ['witness'])
  app.events.on('witness', ({ witness, result }) => {
    witnessRequests.inc({ witness, result })
    if (result !== 'cosigned' && result !== 'conflict') witnessFailures.inc({ witness })
  })
  const { witnesses } = app
  new Gauge({
    name: 'shifou_witness_cosigned_size',
    help: 'The log size each witness last cosigned, as this process knows it',
    labelNames: ['witness'],
    registers: [registry],
    collect () { for (const s of witnesses.sizes()) this.set({ witness: s.witness }, s.size) }
  })

  const { audit, admission } = app
  gauge('shifou_audit_pending_entries', 'Audit entries waiting for the next group commit', () => audit.pending)
  gauge('shifou_audit_batches', 'Audit batches committed by this process', () => audit.batches)
  gauge('shifou_audit_failures', 'Audit batches that failed (their requests got 503)', () => audit.failures)
  gauge('shifou_detector_failures', 'Detector runs that failed (answers are unaffected)', () => admission.failures)
  gauge('shifou_detector_observations',
    'Requests the detectors observed: those that passed the limiter with a subject or name new to their ' +
    'client that day',
    () => admission.observations)

  // Freshness per connector (design §14.2), read from the database when scraped: one statement.
  const { database } = app
  let health: Promise<Map<string, ConnectorHealth>> | null = null
  const connectors = async (): Promise<Map<string, ConnectorHealth>> => {
    health ??= connectorHealth(database, null).finally(() => { setImmediate(() => { health = null }) })
    return await health
  }
  const perConnector = (name: string, help: string, value: (h: ConnectorHealth) => number | null): void => {
    new Gauge({
      name,
      help,
      labelNames: ['connector'],
      registers: [registry],
      async collect () {
        this.reset()
        for (const [connector, h] of await connectors().catch(() => new Map<string, ConnectorHealth>())) {
          const v = value(h)
          if (v !== null) this.set({ connector }, v)
        }
      }
    })
  }
  perConnector('shifou_connector_snapshot_age_days',
    'Days since the asOf of each connector\'s active snapshot (China Standard Time)', (h) => h.ageDays)
  perConnector('shifou_connector_rows', 'Rows of each connector\'s active snapshot', (h) => h.rows)
  perConnector('shifou_connector_stale',
    '1 when a connector\'s active snapshot is older than its maxAgeDays (its questions are refused)',
    (h) => h.stale ? 1 : 0)
  perConnector('shifou_connector_last_load_ok',
    '1 when a connector\'s latest load attempt completed (or is running), 0 when it failed or was abandoned',
    (h) => h.lastLoad === null ? null : h.lastLoad.status === 'failed' || h.lastLoad.status === 'abandoned' ? 0 : 1)

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown'
    requests.inc({ method: request.method, route, status: String(reply.statusCode) })
    duration.observe({ route }, reply.elapsedTime / 1000)
  })

  app.get('/metrics', { config: { roles: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType)
    return await registry.metrics()
  })
}, { name: 'metrics', dependencies: ['database', 'audit', 'limits', 'events', 'witnesses'] })
