/**
 * The database: PostgreSQL through postgres.js when DATABASE_URL is set (postgres.ts), otherwise
 * PGlite (an embedded PostgreSQL) in the data directory (pglite.ts). Both expose the same drizzle
 * schema, a small raw executor for hot paths and DDL, and a streaming COPY sink for loads.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type * as schema from './schema/index.ts'
import { openPostgres } from './postgres.ts'
import { openPglite } from './pglite.ts'
import { DEFAULT_DB_TIMEOUT_MS } from './timeouts.ts'

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
  /** A COPY into `table`, on a maintenance connection; a write that makes no progress in time fails. */
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
