/**
 * The database: PostgreSQL through postgres.js when DATABASE_URL is set, otherwise PGlite (an
 * embedded PostgreSQL) in the data directory. Both expose the same drizzle schema, a small raw
 * executor for hot paths and DDL, and a streaming COPY sink for loads.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import postgres from 'postgres'
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import * as schema from './schema/index.ts'
import { Breaker } from './breaker.ts'
import { Lanes } from './lanes.ts'
import { unavailable } from './unavailable.ts'
import { connectTimeoutMs, DEFAULT_DB_TIMEOUT_MS, serverLimits } from './timeouts.ts'

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>
export type Row = Record<string, unknown>

/** Raw SQL with positional parameters ($1, $2, …). */
export interface Executor {
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>
}

/** A COPY … FROM STDIN in text format; `write` resolves when the sink can take more. */
export interface CopySink {
  write(chunk: string): Promise<void>
  end(): Promise<void>
  abort(): Promise<void>
}

/** A transaction runs `fn` with an executor bound to it; it commits when `fn` resolves. */
export interface Transactor {
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>
}

export interface QueryOptions {
  /** A deadline shorter than the database's own (the readiness probe answers within 2 s). */
  deadlineMs?: number
}

export interface Database extends Executor, Transactor {
  readonly driver: 'postgres' | 'pglite'
  readonly db: Db
  /**
   * Connections with synchronous_commit off, for writes whose last fraction of a second may be
   * lost in a crash without harm (the abuse counters): they must not cost an fsync per request.
   * Audit entries, registry changes and loads never use it.
   */
  readonly relaxed: Executor
  /**
   * Statements that legitimately run long — migrations, a load's partition and its index build —
   * on connections of their own, without the deadline and without statement_timeout, so that they
   * neither fail for taking minutes nor hold the connections that answers need.
   */
  readonly maintenance: Executor & Transactor
  /**
   * How long a statement or transaction may wait on the database, the wait for a connection
   * included (SHIFOU_DB_TIMEOUT_MS); then it fails with 503 DATABASE_UNAVAILABLE. null on PGlite,
   * which runs in this process and cannot stall apart from it.
   */
  readonly timeoutMs: number | null
  /** False while the database is known not to answer (src/db/breaker.ts): refuse at once. */
  readonly available: boolean
  query<T = Row>(text: string, params?: readonly unknown[], opts?: QueryOptions): Promise<T[]>
  /** A COPY into `table`, on a maintenance connection; a write that makes no progress within the deadline fails. */
  copyIn(table: string, columns: readonly string[]): Promise<CopySink>
  close(): Promise<void>
}

export interface DatabaseOptions {
  url: string | null
  dataDir?: string
  poolSize?: number
  /** PostgreSQL only: the deadline of a statement or transaction (default 5,000 ms). */
  timeoutMs?: number
  /** PGlite only: keep the database in memory (tests). */
  memory?: boolean
}

export async function openDatabase (opts: DatabaseOptions): Promise<Database> {
  return opts.url !== null
    ? openPostgres(opts.url, opts.poolSize ?? 10, opts.timeoutMs ?? DEFAULT_DB_TIMEOUT_MS)
    : openPglite(opts)
}

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('invalid identifier')
  return '"' + name + '"'
}

function clientOptions (parameters: Record<string, string | number>): postgres.Options<Record<string, postgres.PostgresType>> {
  return {
    onnotice: () => {},
    // int8 as number: indices, counts and ids stay far below 2^53.
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    connection: { application_name: 'shifou', ...parameters }
  }
}

/** Rejects with `Stalled` if `promise` has not settled within `ms`. */
class Stalled extends Error {}
async function within<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Stalled()), ms) })])
  } finally {
    clearTimeout(timer)
  }
}

function openPostgres (url: string, max: number, timeoutMs: number): Database {
  const breaker = new Breaker()
  // drizzle installs its pass-through parsers and serializers on the client it is given; every
  // lane's client copies them from here.
  const types = { parsers: {}, serializers: {} }
  const lanes = (size: number, deadlineMs: number | null, parameters: Record<string, string | number>): Lanes => new Lanes({
    url, size, deadlineMs, connectTimeoutMs: connectTimeoutMs(timeoutMs), client: clientOptions(parameters), types, breaker
  })
  const strict = lanes(max, timeoutMs, { synchronous_commit: 'on', ...serverLimits(timeoutMs) })
  const relaxedLanes = lanes(Math.max(2, Math.ceil(max / 2)), timeoutMs, { synchronous_commit: 'off', ...serverLimits(timeoutMs) })
  const maintenanceLanes = lanes(Math.max(2, Math.ceil(max / 4)), null, { synchronous_commit: 'on', statement_timeout: 0, lock_timeout: 0 })

  const exec = (s: postgres.Sql | postgres.TransactionSql) => async <T>(text: string, params: readonly unknown[] = []): Promise<T[]> =>
    await s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }) as unknown as T[]
  const executor = (pool: Lanes): Executor & Transactor => ({
    async query<T> (text: string, params: readonly unknown[] = []) { return await pool.use(async (sql) => await exec(sql)<T>(text, params)) },
    async transaction<T> (fn: (tx: Executor) => Promise<T>) {
      return await pool.use(async (sql) => await sql.begin(async (tx) => await fn({ query: exec(tx) })) as T)
    }
  })
  const maintenance = executor(maintenanceLanes)
  const db = drizzlePostgres({ client: drizzleClient(strict, types) as postgres.Sql, schema, casing: 'snake_case' }) as unknown as Db
  return {
    driver: 'postgres',
    db,
    relaxed: executor(relaxedLanes),
    maintenance,
    timeoutMs,
    get available () { return !breaker.isOpen },
    async query<T> (text: string, params: readonly unknown[] = [], opts: QueryOptions = {}) {
      return await strict.use(async (sql) => await exec(sql)<T>(text, params), Math.min(opts.deadlineMs ?? timeoutMs, timeoutMs))
    },
    transaction: executor(strict).transaction,
    async copyIn (table, columns) {
      return await copySink(maintenanceLanes, `copy ${ident(table)} (${columns.map(ident).join(', ')}) from stdin`, timeoutMs)
    },
    async close () { await Promise.all([strict.close(), relaxedLanes.close(), maintenanceLanes.close()]) }
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

/** PGlite takes COPY input as one blob; the sink sends it in slices of this size to bound memory. */
const PGLITE_COPY_SLICE = 8 * 1024 * 1024

async function openPglite (opts: DatabaseOptions): Promise<Database> {
  let dataDir: string | undefined
  if (opts.memory !== true) {
    const dir = opts.dataDir ?? './.shifou'
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    dataDir = join(dir, 'pgdata')
  }
  const pg = await PGlite.create(dataDir)
  const db = drizzlePglite({ client: pg, schema, casing: 'snake_case' }) as unknown as Db
  const exec = (q: Pick<PGlite, 'query'>): Executor => ({
    async query<T> (text: string, params: readonly unknown[] = []) {
      return (await q.query<T>(text, params as unknown[])).rows
    }
  })
  const root = exec(pg)
  const transaction = async <T>(fn: (tx: Executor) => Promise<T>): Promise<T> => await pg.transaction(async (tx) => await fn(exec(tx)))
  return {
    driver: 'pglite',
    db,
    relaxed: root,
    maintenance: { query: root.query, transaction },
    timeoutMs: null,
    available: true,
    query: root.query,
    transaction,
    async copyIn (table, columns) {
      const statement = `copy ${ident(table)} (${columns.map(ident).join(', ')}) from '/dev/blob'`
      let parts: string[] = []
      let size = 0
      const flush = async (): Promise<void> => {
        if (size === 0) return
        const blob = new Blob(parts)
        parts = []
        size = 0
        await pg.query(statement, [], { blob })
      }
      return {
        async write (chunk) {
          parts.push(chunk)
          size += chunk.length
          if (size >= PGLITE_COPY_SLICE) await flush()
        },
        async end () { await flush() },
        async abort () { parts = []; size = 0 }
      }
    },
    async close () { await pg.close() }
  }
}
