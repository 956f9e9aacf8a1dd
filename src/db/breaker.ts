/**
 * Whether the database is answering at all (design §14.5): a circuit breaker in front of every
 * statement of one service process.
 *
 * Closed, statements go through. A connection that fails (refused, reset, timed out on connect) or
 * a statement that gets no answer within the deadline opens it: from then on statements are refused
 * at once with DATABASE_UNAVAILABLE instead of each waiting out its own deadline on a database that
 * is down or stalled, and instead of every request opening a connection of its own. Every
 * `retryMs` one statement is let through as a trial; the first statement that gets an answer from
 * the server (a trial, or one that was in flight when the breaker opened) closes it again.
 *
 * Why a breaker rather than only a deadline per statement: a request makes several statements (the
 * limiter, the lookups, the audit entry, and the audit entry of a refusal), and with the database
 * stalled each would wait its full deadline; a request must not wait longer than one. And after
 * PostgreSQL is back, the next trial finds it within `retryMs`, so answers resume at once rather
 * than after a connection pool's exponential back-off (postgres.js's reached 10–20 s within a
 * second of an outage: it counts the failed attempts of every connection of a pool together).
 */

export type Admission = 'go' | 'trial' | 'refuse'

export class Breaker {
  readonly retryMs: number
  readonly aliveMs: number
  readonly #now: () => number
  #open = false
  #openedAt = 0
  #trial = false
  #lastAnswer = -Infinity
  /** Times the breaker opened (a metric). */
  opened = 0

  constructor (opts: { retryMs?: number, aliveMs?: number, now?: () => number } = {}) {
    this.retryMs = opts.retryMs ?? 250
    this.aliveMs = opts.aliveMs ?? 1000
    this.#now = opts.now ?? Date.now
  }

  get isOpen (): boolean {
    return this.#open
  }

  /** Whether a statement may go to the server now; a trial must be answered by `report`. */
  admit (): Admission {
    if (!this.#open) return 'go'
    if (this.#trial || this.#now() - this.#openedAt < this.retryMs) return 'refuse'
    this.#trial = true
    return 'trial'
  }

  /** The server answered (a result, or an error it sent): it is up. */
  answered (): void {
    this.#open = false
    this.#trial = false
    this.#lastAnswer = this.#now()
  }

  /** A connection failed or a statement got no answer in time: the server is down or stalled. */
  failed (): void {
    if (!this.#open) this.opened++
    this.#open = true
    this.#openedAt = this.#now()
    this.#trial = false
  }

  /**
   * A statement got no answer within its deadline. If another one got an answer within the last
   * `aliveMs`, the server is up and only slow for this one (a lock, a busy moment of a transaction
   * that made several statements): its connection is discarded, but others are not refused.
   */
  stalled (): void {
    if (this.#now() - this.#lastAnswer >= this.aliveMs) this.failed()
  }

  /** A trial that never reached the server (it found no free connection in time): let another try. */
  withdraw (): void {
    this.#trial = false
  }
}
