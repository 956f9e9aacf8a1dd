/**
 * The database: PostgreSQL through postgres.js when DATABASE_URL is set, otherwise PGlite (an
 * embedded PostgreSQL) in the data directory. Both expose the same drizzle schema, a small raw
 * executor for hot paths and DDL, and a streaming COPY sink for loads.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import * as schema from './schema/index.ts'

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

export interface Database extends Executor {
  readonly driver: 'postgres' | 'pglite'
  readonly db: Db
  /**
   * Connections with synchronous_commit off, for writes whose last fraction of a second may be
   * lost in a crash without harm (the abuse counters): they must not cost an fsync per request.
   * Audit entries, registry changes and loads never use it.
   */
  readonly relaxed: Executor
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>
  copyIn(table: string, columns: readonly string[]): Promise<CopySink>
  close(): Promise<void>
}

export interface DatabaseOptions {
  url: string | null
  dataDir?: string
  poolSize?: number
  /** PGlite only: keep the database in memory (tests). */
  memory?: boolean
  /** PGlite only: start from this dumped data directory instead of an empty one (tests). */
  loadDataDir?: Blob
}

export async function openDatabase (opts: DatabaseOptions): Promise<Database> {
  return opts.url !== null ? openPostgres(opts.url, opts.poolSize ?? 10) : openPglite(opts)
}

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('invalid identifier')
  return '"' + name + '"'
}

function connect (url: string, max: number, synchronousCommit: 'on' | 'off'): postgres.Sql {
  return postgres(url, {
    max,
    // A database outage should surface as a 503 quickly, not hang a request for 30 s.
    connect_timeout: 5,
    onnotice: () => {},
    // int8 as number: indices, counts and ids stay far below 2^53.
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
    connection: { application_name: 'shifou', synchronous_commit: synchronousCommit }
  })
}

function openPostgres (url: string, max: number): Database {
  const sql = connect(url, max, 'on')
  const relaxedSql = connect(url, Math.max(2, Math.ceil(max / 2)), 'off')
  const db = drizzlePostgres({ client: sql, schema, casing: 'snake_case' }) as unknown as Db
  const exec = (s: postgres.Sql | postgres.TransactionSql): Executor => ({
    async query<T> (text: string, params: readonly unknown[] = []) {
      return await s.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true }) as unknown as T[]
    }
  })
  const root = exec(sql)
  const relaxedExec = exec(relaxedSql)
  // drizzle set its pass-through serialisers on `sql`; the relaxed client needs the same.
  Object.assign(relaxedSql.options.serializers, sql.options.serializers)
  Object.assign(relaxedSql.options.parsers, sql.options.parsers)
  return {
    driver: 'postgres',
    db,
    relaxed: relaxedExec,
    query: root.query,
    async transaction<T> (fn: (tx: Executor) => Promise<T>) {
      return await sql.begin(async (tx) => await fn(exec(tx))) as T
    },
    async copyIn (table, columns) {
      const stream = await sql.unsafe(`copy ${ident(table)} (${columns.map(ident).join(', ')}) from stdin`).writable()
      let failed: Error | null = null
      stream.on('error', (err) => { failed = err })
      return {
        async write (chunk) {
          if (failed !== null) throw failed
          if (!stream.write(chunk)) await new Promise<void>((resolve, reject) => {
            const onDrain = (): void => { stream.off('error', onError); resolve() }
            const onError = (err: Error): void => { stream.off('drain', onDrain); reject(err) }
            stream.once('drain', onDrain)
            stream.once('error', onError)
          })
        },
        async end () {
          if (failed !== null) throw failed
          await new Promise<void>((resolve, reject) => {
            stream.once('error', reject)
            stream.end(() => resolve())
          })
        },
        async abort () {
          stream.destroy(new Error('copy aborted'))
        }
      }
    },
    async close () { await Promise.all([sql.end({ timeout: 5 }), relaxedSql.end({ timeout: 5 })]) }
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
  const pg = opts.loadDataDir === undefined ? await PGlite.create(dataDir) : await PGlite.create({ dataDir, loadDataDir: opts.loadDataDir })
  const db = drizzlePglite({ client: pg, schema, casing: 'snake_case' }) as unknown as Db
  const exec = (q: Pick<PGlite, 'query'>): Executor => ({
    async query<T> (text: string, params: readonly unknown[] = []) {
      return (await q.query<T>(text, params as unknown[])).rows
    }
  })
  const root = exec(pg)
  return {
    driver: 'pglite',
    db,
    relaxed: root,
    query: root.query,
    async transaction<T> (fn: (tx: Executor) => Promise<T>) {
      return await pg.transaction(async (tx) => await fn(exec(tx)))
    },
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
