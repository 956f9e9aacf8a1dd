/**
 * PostgreSQL through postgres.js, every statement on a lane (lanes.ts) with the deadline of
 * SHIFOU_DB_TIMEOUT_MS and behind the breaker (breaker.ts): the request connections (synchronous
 * commit on), the relaxed ones (off, for the abuse counters), and the maintenance ones for long
 * statements, all on one breaker, since they talk to one server.
 */
import type { Writable } from 'node:stream'
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import * as schema from './schema/index.ts'
import { ident } from './ident.ts'
import type { CopySink, Database, Db, Executor, QueryOptions, Transactor } from './client.ts'
import { Breaker } from './breaker.ts'
import { Lanes } from './lanes.ts'
import { unavailable } from './unavailable.ts'
import { connectTimeoutMs, serverLimits } from './timeouts.ts'

type Parameters = Record<string, string | number>

function clientOptions (parameters: Parameters): postgres.Options<Record<string, postgres.PostgresType>> {
  return {
    onnotice: () => {},
    // int8 as number: indices, counts and ids stay far below 2^53.
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    connection: { application_name: 'shifou', ...parameters }
  }
}

async function run<T> (sql: postgres.Sql | postgres.TransactionSql, text: string, params: readonly unknown[]):
Promise<T[]> {
  return await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }) as unknown as T[]
}

/** Rejects with `Stalled` if `promise` has not settled within `ms`. */
class Stalled extends Error {}
async function within<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    const stalled = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Stalled()), ms) })
    return await Promise.race([promise, stalled])
  } finally {
    clearTimeout(timer)
  }
}

export function openPostgres (url: string, max: number, timeoutMs: number): Database {
  const breaker = new Breaker({ aliveMs: Math.min(1000, timeoutMs) })
  // drizzle installs its pass-through parsers and serializers on the client it is given; every
  // lane's client copies them from here.
  const types = { parsers: {}, serializers: {} }
  const lanes = (size: number, deadlineMs: number | null, parameters: Parameters): Lanes => new Lanes({
    url,
    size,
    deadlineMs,
    connectTimeoutMs: connectTimeoutMs(timeoutMs),
    client: clientOptions(parameters),
    types,
    breaker
  })
  const limits = serverLimits(timeoutMs)
  const strict = lanes(max, timeoutMs, { synchronous_commit: 'on', ...limits })
  const relaxedLanes = lanes(Math.max(2, Math.ceil(max / 2)), timeoutMs, { synchronous_commit: 'off', ...limits })
  const maintenance = lanes(Math.max(2, Math.ceil(max / 4)), null, { synchronous_commit: 'on', statement_timeout: 0 })

  const executor = (pool: Lanes): Executor & Transactor => ({
    async query<T> (text: string, params: readonly unknown[] = []) {
      return await pool.use(async (sql) => await run<T>(sql, text, params))
    },
    async transaction<T> (fn: (tx: Executor) => Promise<T>) {
      return await pool.use(async (sql) => await sql.begin(async (tx) => await fn({
        query: async <R>(text: string, params: readonly unknown[] = []) => await run<R>(tx, text, params)
      })) as T)
    }
  })
  const client = drizzleClient(strict, types) as postgres.Sql
  const db = drizzle({ client, schema, casing: 'snake_case' }) as unknown as Db
  return {
    driver: 'postgres',
    db,
    relaxed: executor(relaxedLanes),
    maintenance: executor(maintenance),
    timeoutMs,
    get available () { return !breaker.isOpen },
    async query<T> (text: string, params: readonly unknown[] = [], opts: QueryOptions = {}) {
      const deadlineMs = Math.min(opts.deadlineMs ?? timeoutMs, timeoutMs)
      return await strict.use(async (sql) => await run<T>(sql, text, params), deadlineMs)
    },
    transaction: executor(strict).transaction,
    async copyIn (table, columns) {
      const statement = `copy ${ident(table)} (${columns.map(ident).join(', ')}) from stdin`
      return await copySink(maintenance, statement, timeoutMs)
    },
    async close () { await Promise.all([strict.close(), relaxedLanes.close(), maintenance.close()]) }
  }
}

/**
 * A COPY … FROM STDIN on a lane of its own for as long as it streams. It may take minutes, but each
 * step must make progress within the deadline: a server that stops reading fails the load.
 */
async function copySink (pool: Lanes, statement: string, timeoutMs: number): Promise<CopySink> {
  const lease = await pool.lease(null)
  const fail = (err: unknown): never => {
    lease.finish(err instanceof Stalled ? null : err, err instanceof Stalled)
    throw err instanceof Stalled ? unavailable(`The database took no data for ${timeoutMs} ms`) : err
  }
  let stream: Writable
  try {
    stream = await within(lease.sql.unsafe(statement).writable(), timeoutMs)
  } catch (err) {
    return fail(err)
  }
  let failed: Error | null = null
  stream.on('error', (err) => { failed = err })
  return {
    async write (chunk) {
      if (failed !== null) fail(failed)
      if (stream.write(chunk)) return
      await within(new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { stream.off('error', onError); resolve() }
        const onError = (err: Error): void => { stream.off('drain', onDrain); reject(err) }
        stream.once('drain', onDrain)
        stream.once('error', onError)
      }), timeoutMs).catch(fail)
    },
    async end () {
      if (failed !== null) fail(failed)
      await within(new Promise<void>((resolve, reject) => {
        stream.once('error', reject)
        stream.end(() => resolve())
      }), timeoutMs).catch(fail)
      lease.finish(null)
    },
    async abort () {
      stream.destroy(new Error('copy aborted'))
      // The server answers the CopyFail and the connection is usable again; postgres.js queues
      // whatever comes next behind that answer.
      lease.finish(new Error('copy aborted'))
    }
  }
}

/**
 * The client drizzle is given: its statements run on the lanes like every other, with the deadline.
 * drizzle awaits `client.unsafe(…)` or `client.unsafe(…).values()` and begins transactions with
 * `client.begin`; nothing else of postgres.js's interface is used.
 */
function drizzleClient (pool: Lanes, options: { parsers: object, serializers: object }): unknown {
  return {
    options,
    unsafe (text: string, params: readonly unknown[] = [], opts: Record<string, unknown> = {}) {
      let raw = false
      let running: Promise<unknown> | null = null
      const run = (): Promise<unknown> => (running ??= pool.use(async (sql) => {
        const q = sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], opts)
        return await (raw ? q.values() : q)
      }))
      return {
        values () { raw = true; return this },
        then (ok: (v: unknown) => unknown, fail: (e: unknown) => unknown) { return run().then(ok, fail) }
      }
    },
    async begin (fn: (sql: postgres.TransactionSql) => Promise<unknown>) {
      return await pool.use(async (sql) => await sql.begin(fn))
    }
  }
}
