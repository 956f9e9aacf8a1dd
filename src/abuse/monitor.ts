/**
 * The abuse controls of one service process (design §10): the limiter, consulted before any
 * lookup, and the detectors, fed after each answer. Detection runs off the answer's path (the
 * caller does not wait for it); `drain` waits for it on shutdown. Alerts are stored, counted,
 * logged without identifiers, and suspend the client when it is registered with autoSuspend.
 */
import type { Database } from '../db/client.ts'
import { writeEntries } from '../audit/writer.ts'
import { checkQuotas, cstDay, retryAfter, type Limit, type QuotaDecision, type QuotaInput } from './limits.ts'
import { DEFAULT_THRESHOLDS, judge, type AlertKind, type DetectorThresholds, type Finding } from './detectors.ts'
import { storeAlert } from './alerts.ts'
import { StatementBatcher } from '../db/batch.ts'

export interface MonitorOptions {
  database: Database
  thresholds?: DetectorThresholds
  /** Called for every new alert (metrics and a log line without identifiers). */
  onAlert?: (kind: AlertKind, client: string | null) => void
  /** Called after a client was suspended (to refresh the in-memory registry). */
  onSuspend?: (client: string) => void
}

export interface ClientInfo { id: string, organisation: string | null, autoSuspend: boolean }

export interface Observation {
  client: ClientInfo
  subject: Buffer
  prefix: Buffer
  /** whether the answers' own lookups found a record; if not, every connector is asked */
  found: boolean
  /** the subject's hash in every active snapshot (tried only when `found` is false) */
  probes: () => Array<{ snapshotId: number, subjectHash: Buffer }>
  now: Date
}

export class AbuseMonitor {
  readonly #db: Database
  readonly #thresholds: DetectorThresholds
  readonly #opts: MonitorOptions
  readonly #pending = new Set<Promise<void>>()
  #queue: Observation[] = []
  // Counters are written with synchronous_commit off: a crash may forget the last fraction of a
  // second of counts, where an fsync per request would cost a commit wait on every answer.
  readonly #checks: StatementBatcher<QuotaInput, QuotaDecision>
  #observing: Promise<void> | null = null
  /** Alerts of the day already stored (by this process or another): kind/scope/day. */
  readonly #raised = new Set<string>()
  #raisedDay = ''
  /** Detection failures (they never affect answers; exported as a metric). */
  failures = 0
  /** Answered requests observed (exported as a metric). */
  observations = 0

  constructor (opts: MonitorOptions) {
    this.#db = opts.database
    this.#thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS
    this.#opts = opts
    this.#checks = new StatementBatcher(async (batch) => await checkQuotas(this.#db.relaxed, batch))
  }

  /**
   * The limit this request exceeds (`over`, null: it may proceed), with its Retry-After in
   * seconds, and whether the request is `fresh` (QuotaDecision): only a fresh request is observed.
   * Checks of concurrent requests wait while one batch is with the database and go in the next
   * together.
   */
  async check (q: QuotaInput): Promise<{ over: { limit: Limit, retryAfter: number } | null, fresh: boolean }> {
    const { limit, fresh } = await this.#checks.submit(q)
    return { over: limit === null ? null : { limit, retryAfter: retryAfter(limit, q.now) }, fresh }
  }

  /** A refusal by the limiter is itself a finding (a flood, or names being guessed). */
  refused (client: ClientInfo, limit: Limit, subject: Buffer, now: Date): void {
    const finding: Finding = limit === 'namesPerSubjectPerDay'
      ? { kind: 'NAME_GUESSING', detail: { limit } }
      : { kind: 'QUOTA_EXCEEDED', detail: { limit } }
    const scope = limit === 'namesPerSubjectPerDay' ? client.id + '/' + subject.toString('hex').slice(0, 16) : client.id + '/' + limit
    this.#track(this.#raise(client, finding, scope, cstDay(now)))
  }

  /**
   * Feeds the detectors with one answered request that the limiter found fresh (`check`).
   * Observations of concurrent requests are sent together (one statement for the batch, like the
   * audit log's group commit).
   */
  observe (o: Observation): void {
    this.observations++
    this.#queue.push(o)
    if (this.#observing === null) {
      this.#observing = this.#flushObservations().finally(() => { this.#observing = null })
      this.#track(this.#observing)
    }
  }

  async #flushObservations (): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, 500)
      try {
        await this.#observeBatch(batch)
      } catch {
        this.failures++
      }
    }
  }

  async drain (): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }

  #track (p: Promise<void>): void {
    const tracked = p.catch(() => { this.failures++ }).finally(() => { this.#pending.delete(tracked) })
    this.#pending.add(tracked)
  }

  async #observeBatch (batch: Observation[]): Promise<void> {
    const rows = batch.map((o) => {
      const probes = o.found ? [] : o.probes()
      return {
        client: o.client.id,
        org: o.client.organisation,
        day: cstDay(o.now),
        subject: o.subject.toString('hex'),
        prefix: o.prefix.toString('hex'),
        known: o.found ? true : null,
        snapshots: probes.map((p) => p.snapshotId),
        hashes: probes.map((p) => p.subjectHash.toString('hex'))
      }
    })
    const counts = await this.#db.relaxed.query<{ i: number, subjects: number, unknown: number, org_subjects: number | null, org_unknown: number | null, prefix_subjects: number, prefix_unknown: number, names: number }>(
      'select * from shifou_observe_batch($1::jsonb)', [JSON.stringify(rows)])
    for (const c of counts) {
      const o = batch[Number(c.i)]!
      const day = rows[Number(c.i)]!.day
      const findings = judge({
        subjects: Number(c.subjects ?? 0),
        unknown: Number(c.unknown ?? 0),
        orgSubjects: c.org_subjects === null ? null : Number(c.org_subjects),
        orgUnknown: c.org_unknown === null ? null : Number(c.org_unknown),
        prefixSubjects: Number(c.prefix_subjects),
        prefixUnknown: Number(c.prefix_unknown),
        names: Number(c.names)
      }, this.#thresholds)
      for (const f of findings) {
        const scope = f.kind === 'ORG_UNKNOWN_SUBJECTS' ? 'org:' + (o.client.organisation ?? '')
          : f.kind === 'PREFIX_PROBE' ? o.client.id + '/' + o.prefix.toString('hex').slice(0, 16)
            : f.kind === 'NAME_GUESSING' ? o.client.id + '/' + o.subject.toString('hex').slice(0, 16)
              : o.client.id
        await this.#raise(o.client, f, scope, day)
      }
    }
  }

  async #raise (client: ClientInfo, f: Finding, scope: string, day: string): Promise<void> {
    // A detector keeps firing on every request of a client it has flagged; the alert of the day
    // is stored once (alerts.ts), and this process stops asking once it has been stored. Without
    // this, each such request cost a durable insert per finding that the database then ignored.
    const key = f.kind + '/' + scope + '/' + day
    if (this.#raised.has(key)) return
    if (this.#raisedDay !== day) { this.#raised.clear(); this.#raisedDay = day }
    const organisationWide = f.kind === 'ORG_UNKNOWN_SUBJECTS'
    const id = await storeAlert(this.#db, {
      kind: f.kind,
      client: organisationWide ? null : client.id,
      organisation: client.organisation,
      scope,
      day,
      detail: f.detail
    })
    this.#raised.add(key)
    if (id === null) return
    this.#opts.onAlert?.(f.kind, client.id)
    if (client.autoSuspend && !organisationWide) await this.#suspend(client.id, id, f.kind)
  }

  async #suspend (clientId: string, alertId: number, kind: AlertKind): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('update clients set active = false, updated_at = now() where id = $1', [clientId])
      await tx.query('update alerts set suspended = true where id = $1', [alertId])
      await writeEntries(tx, [{
        kind: 'change',
        actor: { sub: 'shifou-abuse-detector', role: 'system' },
        code: 'SUSPEND',
        detail: { action: 'suspend', resource: 'client', id: clientId, alert: alertId, reason: kind }
      }])
    })
    this.#opts.onSuspend?.(clientId)
  }
}
