/**
 * Admission (design §10): what a verification asks of the abuse controls before any record is
 * read. The limiter (`AbuseMonitor`, monitor.ts) is the implementation the service runs;
 * `ADMIT_ALL` admits every request and observes nothing, for the benchmarks that measure what the
 * limits cost.
 */
import type { StoredRecord } from '../matchers/predicate/index.ts'
import type { Limit, QuotaInput } from './limits.ts'

export interface ClientInfo { id: string, organisation: string | null, autoSuspend: boolean }

export interface AdmissionDecision {
  /** The limit the request exceeds, with its Retry-After in seconds; null when it is admitted. */
  over: { limit: Limit, retryAfter: number } | null
  /**
   * For an admitted request, the records of each of its `lookups` in their order, when the check
   * read them in the same statement; null when the caller must read them itself.
   */
  records: StoredRecord[][] | null
}

export interface Admission {
  /**
   * Checks and counts one request (throws when the limits cannot be consulted: the request is then
   * refused). The records of `lookups` are read only for a request that is admitted.
   */
  check(request: QuotaInput, client: ClientInfo): Promise<AdmissionDecision>
  /** Tells the detectors that a limit refused a request (a flood, or names being guessed). */
  refused(client: ClientInfo, limit: Limit, subject: Buffer, now: Date): void
  /** Waits for the work done off the answers' path (alerts being stored). */
  drain(): Promise<void>
  /** Detector runs that failed (answers are unaffected), for the metrics. */
  readonly failures: number
  /** Requests the detectors observed, for the metrics. */
  readonly observations: number
}

/** Admits every request, reads no record and observes nothing: for benchmarks only. */
export const ADMIT_ALL: Admission = {
  async check () {
    return { over: null, records: null }
  },
  refused () {},
  async drain () {},
  failures: 0,
  observations: 0
}
