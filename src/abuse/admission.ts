/**
 * Admission (design §10): what a verification asks of the abuse controls before any record is
 * read. The limiter (`AbuseMonitor`, monitor.ts) is the implementation the service runs;
 * `ADMIT_ALL` admits every request and observes nothing, for the benchmarks that measure what the
 * limits cost. Admission reads no record: the connectors do, once a request is admitted.
 */
import type { Limit, QuotaInput } from './limits.ts'
import type { Observation } from './observe.ts'

export interface ClientInfo { id: string, organisation: string | null, autoSuspend: boolean }

export interface AdmissionDecision {
  /** The limit the request exceeds, with its Retry-After in seconds; null when it is admitted. */
  over: { limit: Limit, retryAfter: number } | null
  /**
   * An admitted request recorded something the detectors have not seen (a subject new to the
   * client today, a name not tried against it today): it is to be `observe`d once its records
   * were read, or once it was refused before any was.
   */
  fresh: boolean
}

export interface Admission {
  /** Checks and counts one request (throws when the limits cannot be consulted: it is then refused). */
  check(request: QuotaInput, client: ClientInfo): Promise<AdmissionDecision>
  /**
   * Tells the detectors about a fresh admitted request, off the answer's path, once `known`
   * (whether any connector holds the subject, as the connectors tell) settles.
   */
  observe(observation: Omit<Observation, 'known'>, known: Promise<boolean>, client: ClientInfo): void
  /** Tells the detectors that a limit refused a request (a flood, or names being guessed). */
  refused(client: ClientInfo, limit: Limit, subject: Buffer, now: Date): void
  /** Waits for the work done off the answers' path (observations, alerts being stored). */
  drain(): Promise<void>
  /** Detector runs that failed (answers are unaffected), for the metrics. */
  readonly failures: number
  /** Requests the detectors observed, for the metrics. */
  readonly observations: number
}

/** Admits every request and observes nothing: for benchmarks only. */
export const ADMIT_ALL: Admission = {
  async check () {
    return { over: null, fresh: false }
  },
  observe () {},
  refused () {},
  async drain () {},
  failures: 0,
  observations: 0
}
