/**
 * PostgreSQL connections with a deadline (design §14.5): a pool of "lanes", each a postgres.js
 * client of one connection, used by one statement or transaction at a time.
 *
 * Why not postgres.js's own pool: a statement that gets no answer must give up at the deadline,
 * and the connection it was sent on must then be thrown away — it is mid-protocol, and if the
 * server was only stalled (SIGSTOP, a frozen VM, a lost network) it would later deliver the stale
 * answer, and with postgres.js's pipelining every statement queued behind it. postgres.js offers
 * no way to close the connection a given query went to; with one connection per client, closing
 * that client closes exactly it. The sockets are opened here (postgres.js's `socket` option) so
 * that a discarded connection is destroyed at once, not left half-closed until the server answers.
 *
 * The server-side statement_timeout, a little below the deadline (timeouts.ts), answers a slow
 * statement with an error and keeps the connection; the client deadline is for a server that
 * cannot answer at all. What each use learns goes to the breaker (breaker.ts).
 */
import net from 'node:net'
import postgres from 'postgres'
import type { Breaker } from './breaker.ts'
import { ShifouError } from '../errors.ts'
import { fromServer, isConnectionFailure, isUnavailable, unavailable } from './unavailable.ts'

export interface LanesOptions {
  url: string
  size: number
  /** Client deadline of one use, the wait for a free lane included; null: none (maintenance). */
  deadlineMs: number | null
  connectTimeoutMs: number
  /** postgres.js options every lane's client gets (types, startup parameters, …). */
  client: postgres.Options<Record<string, postgres.PostgresType>>
  /** Parsers and serializers every client gets on top (drizzle installs its pass-through ones here). */
  types: { parsers: Record<string, unknown>, serializers: Record<string, unknown> }
  breaker: Breaker
}

interface Lane {
  sql: postgres.Sql | null
  sockets: Set<net.Socket>
}

interface Waiter {
  resolve: (lane: Lane) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout | null
}

/** A lane held by one caller: `finish` says how its use ended, and gives it back or discards it. */
export interface Lease {
  readonly sql: postgres.Sql
  /** null: success. `stalled`: no answer in time (the caller's own deadline). */
  finish (err: unknown, stalled?: boolean): void
}

/** After a failed attempt, postgres.js retries a connection after `backoff(n)` seconds; ours stays short. */
const backoff = (attempt: number): number => Math.min(0.05 * attempt, 0.25)

export class Lanes {
  readonly #opts: LanesOptions
  readonly #lanes: Lane[]
  readonly #free: Lane[]
  #waiting: Waiter[] = []
  #closed = false

  constructor (opts: LanesOptions) {
    this.#opts = opts
    this.#lanes = Array.from({ length: opts.size }, () => ({ sql: null, sockets: new Set<net.Socket>() }))
    this.#free = [...this.#lanes]
  }

  /** Runs `fn` on a lane within the deadline (the pool's, or `deadlineMs`); see the file's header. */
  async use<T> (fn: (sql: postgres.Sql) => Promise<T>, deadlineMs: number | null = this.#opts.deadlineMs): Promise<T> {
    const started = Date.now()
    const lease = await this.lease(deadlineMs)
    const work = fn(lease.sql)
    if (deadlineMs === null) {
      try {
        const value = await work
        lease.finish(null)
        return value
      } catch (err) {
        lease.finish(err)
        throw translate(err)
      }
    }
    let timer: NodeJS.Timeout | undefined
    const left = Math.max(0, started + deadlineMs - Date.now())
    const stalled = new Promise<'stalled'>((resolve) => { timer = setTimeout(resolve, left, 'stalled') })
    try {
      const outcome = await Promise.race([work.then((value) => ({ value })), stalled])
      if (outcome === 'stalled') {
        work.catch(() => {})
        lease.finish(null, true)
        throw unavailable(`The database did not answer within ${deadlineMs} ms`)
      }
      lease.finish(null)
      return outcome.value
    } catch (err) {
      lease.finish(err)
      throw translate(err)
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * A lane for the caller to use and `finish` (a COPY holds one for as long as it streams). Refused
   * at once while the breaker is open; waits for a free lane until the deadline otherwise.
   */
  async lease (deadlineMs: number | null = this.#opts.deadlineMs): Promise<Lease> {
    const breaker = this.#opts.breaker
    const admission = breaker.admit()
    if (admission === 'refuse') throw unavailable('The database is not answering; retry shortly')
    const trial = admission === 'trial'
    let lane: Lane
    try {
      lane = await this.#acquire(deadlineMs)
    } catch (err) {
      if (trial) breaker.withdraw()
      throw err
    }
    const sql = lane.sql ??= this.#client(lane)
    let done = false
    return {
      sql,
      finish: (err, stalled = false) => {
        if (done) return
        done = true
        if (stalled || isConnectionFailure(err)) {
          if (stalled) breaker.stalled()
          else breaker.failed()
          this.#discard(lane)
          if (breaker.isOpen) this.#failWaiting()
          return
        }
        if (err === null || fromServer(err)) breaker.answered()
        else if (trial) breaker.withdraw()
        this.#release(lane)
      }
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    this.#failWaiting()
    await Promise.all(this.#lanes.map(async (lane) => {
      const sql = lane.sql
      lane.sql = null
      await sql?.end({ timeout: 5 }).catch(() => {})
      for (const socket of lane.sockets) socket.destroy()
    }))
  }

  #acquire (deadlineMs: number | null): Promise<Lane> {
    if (this.#closed) return Promise.reject(unavailable('The database connection is closing'))
    const lane = this.#free.pop()
    if (lane !== undefined) return Promise.resolve(lane)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null }
      if (deadlineMs !== null) {
        waiter.timer = setTimeout(() => {
          this.#waiting = this.#waiting.filter((w) => w !== waiter)
          reject(unavailable(`No database connection was free within ${deadlineMs} ms`))
        }, deadlineMs)
      }
      this.#waiting.push(waiter)
    })
  }

  #release (lane: Lane): void {
    const next = this.#waiting.shift()
    if (next === undefined) {
      this.#free.push(lane)
      return
    }
    if (next.timer !== null) clearTimeout(next.timer)
    next.resolve(lane)
  }

  /** Ends the lane's client (its pending statements fail) and destroys its sockets; the lane reconnects on next use. */
  #discard (lane: Lane): void {
    const { sql, sockets } = lane
    lane.sql = null
    lane.sockets = new Set()
    const destroy = (): void => { for (const socket of sockets) socket.destroy() }
    if (sql === null) destroy()
    else sql.end({ timeout: 0 }).catch(() => {}).finally(destroy)
    this.#release(lane)
  }

  /** The breaker opened: whoever waits for a lane is refused now, not at the deadline. */
  #failWaiting (): void {
    for (const waiter of this.#waiting.splice(0)) {
      if (waiter.timer !== null) clearTimeout(waiter.timer)
      waiter.reject(unavailable('The database is not answering; retry shortly'))
    }
  }

  #client (lane: Lane): postgres.Sql {
    const sockets = lane.sockets
    let next = 0
    const sql = postgres(this.#opts.url, {
      ...this.#opts.client,
      max: 1,
      connect_timeout: this.#opts.connectTimeoutMs / 1000,
      backoff,
      // postgres.js would open the socket itself; opening it here lets a discarded lane destroy it.
      socket: (o: { host: string[], port: number[], path: string | false }) => {
        const i = next++ % o.host.length
        const socket = o.path !== false && o.path !== ''
          ? net.createConnection(o.path)
          : net.createConnection(o.port[i] ?? 5432, o.host[i])
        Object.assign(socket, { host: o.host[i], port: o.port[i] })
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
        return socket
      }
    } as postgres.Options<Record<string, postgres.PostgresType>>)
    Object.assign(sql.options.parsers, this.#opts.types.parsers)
    Object.assign(sql.options.serializers, this.#opts.types.serializers)
    return sql
  }
}

/** Driver errors that mean "not now" become 503 DATABASE_UNAVAILABLE; anything else passes as it is. */
function translate (err: unknown): unknown {
  if (err instanceof ShifouError || !isUnavailable(err)) return err
  return unavailable('The database is unavailable or busy; retry later')
}
