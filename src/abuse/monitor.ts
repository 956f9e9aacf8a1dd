/**
 * The abuse controls of one service process (design §10): the limiter, consulted before any
 * record is read (limits.ts, migration 0020); and the detectors, which judge the counts of each
 * fresh request once it is observed (observe.ts), after its records were read. Observations and
 * alerts happen off the answer's path (the caller does not wait for them); `drain` waits for them
 * on shutdown. Alerts are stored, counted, logged without identifiers, and suspend
 * the client when it is registered with autoSuspend.
 */
import type { Database } from '../db/client.ts'
import { writeEntries } from '../audit/writer.ts'
import { checkQuotas, cstDay, retryAfter, type Limit, type QuotaDecision, type QuotaInput } from './limits.ts'
import { observeFresh, type Observation } from './observe.ts'
import {
  DEFAULT_THRESHOLDS, judge, type AlertKind, type DetectorThresholds, type Finding, type ObservedCounts
} from './detectors.ts'
import { storeAlert } from './alerts.ts'
import { StatementBatcher } from '../db/batch.ts'
import type { Admission, AdmissionDecision, ClientInfo } from './admission.ts'

export interface MonitorOptions {
  database: Database
  thresholds?: DetectorThresholds
  /** Called for every new alert (metrics and a log line without identifiers). */
  onAlert?: (kind: AlertKind, client: string | null) => void
  /** Called after a client was suspended (to refresh the in-memory registry). */
  onSuspend?: (client: string) => void
}

export class AbuseMonitor implements Admission {
  readonly #db: Database
  readonly #thresholds: DetectorThresholds
  readonly #opts: MonitorOptions
  readonly #pending = new Set<Promise<void>>()
  // Counters are written with synchronous_commit off: a crash may forget the last fraction of a
  // second of counts, where an fsync per request would cost a commit wait on every answer.
  readonly #checks: StatementBatcher<QuotaInput, QuotaDecision>
  readonly #observations: StatementBatcher<Observation, ObservedCounts>
  /** Alerts of the day already stored (by this process or another): kind/scope/day. */
  readonly #raised = new Set<string>()
  #raisedDay = ''
  /** Detection failures (they never affect answers; exported as a metric). */
  failures = 0
  /** Requests observed: fresh ones that passed the limiter (exported as a metric). */
  observations = 0

  constructor (opts: MonitorOptions) {
    this.#db = opts.database
    this.#thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS
    this.#opts = opts
    this.#checks = new StatementBatcher(async (batch) => await checkQuotas(this.#db.relaxed, batch))
    this.#observations = new StatementBatcher(async (batch) => await observeFresh(this.#db.relaxed, batch))
  }

  /**
   * The limit this request exceeds (`over`, null: it may proceed), with its Retry-After in
   * seconds. Checks of concurrent requests wait while one batch is with the database and go in
   * the next together.
   */
  async check (q: QuotaInput): Promise<AdmissionDecision> {
    const { limit, fresh } = await this.#checks.submit(q)
    return { over: limit === null ? null : { limit, retryAfter: retryAfter(limit, q.now) }, fresh }
  }

  /** A fresh request that passed is observed, and its counts judged, off the request's path. */
  observe (o: Omit<Observation, 'known'>, known: Promise<boolean>, client: ClientInfo): void {
    this.#track((async () => {
      const counts = await this.#observations.submit({ ...o, known: await known })
      this.observations++
      await this.#judge(client, o, counts)
    })())
  }

  /** A refusal by the limiter is itself a finding (a flood, or names being guessed). */
  refused (client: ClientInfo, limit: Limit, subject: Buffer, now: Date): void {
    const finding: Finding = limit === 'namesPerSubjectPerDay'
      ? { kind: 'NAME_GUESSING', detail: { limit } }
      : { kind: 'QUOTA_EXCEEDED', detail: { limit } }
    const scope = limit === 'namesPerSubjectPerDay'
      ? client.id + '/' + subject.toString('hex').slice(0, 16)
      : client.id + '/' + limit
    this.#track(this.#raise(client, finding, scope, cstDay(now)))
  }

  async drain (): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }

  #track (p: Promise<void>): void {
    const tracked = p.catch(() => { this.failures++ }).finally(() => { this.#pending.delete(tracked) })
    this.#pending.add(tracked)
  }

  async #judge (client: ClientInfo, q: Omit<Observation, 'known'>, counts: ObservedCounts): Promise<void> {
    const day = cstDay(q.now)
    for (const f of judge(counts, this.#thresholds)) {
      const scope = f.kind === 'ORG_UNKNOWN_SUBJECTS'
        ? 'org:' + (client.organisation ?? '')
        : f.kind === 'PREFIX_PROBE'
          ? client.id + '/' + q.prefix.toString('hex').slice(0, 16)
          : f.kind === 'NAME_GUESSING'
            ? client.id + '/' + q.subject.toString('hex').slice(0, 16)
            : client.id
      await this.#raise(client, f, scope, day)
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
