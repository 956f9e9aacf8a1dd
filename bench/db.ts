/**
 * A scratch PostgreSQL database for one benchmark run: created on the server of BENCH_DATABASE_URL
 * (or DATABASE_URL, or the local postgres://postgres@127.0.0.1:5432/postgres), migrated, dropped
 * at the end. Benchmarks always run against real PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import postgres from 'postgres'
import { openDatabase, type Database } from '../src/db/client.ts'
import { migrate } from '../src/db/migrate.ts'

export const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres'

/** Whether the database runs on this machine (its processes' CPU time can then be read). */
export function databaseIsLocal (url = SERVER_URL): boolean {
  const host = new URL(url).hostname
  return host === '' || host === '127.0.0.1' || host === 'localhost' || host === '[::1]'
}

export interface ScratchDb { url: string, database: Database, drop: () => Promise<void> }

export async function scratchDatabase (poolSize = 10): Promise<ScratchDb> {
  const name = 'shifou_bench_' + randomBytes(4).toString('hex')
  const admin = postgres(SERVER_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(SERVER_URL)
  url.pathname = '/' + name
  const database = await openDatabase({ url: url.toString(), poolSize })
  await migrate(database)
  return {
    url: url.toString(),
    database,
    async drop () {
      await database.close()
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    }
  }
}

/**
 * Creates again a stored function that a later migration dropped, as its migrations made it (its
 * CREATE and any ALTER of it, in the files given, in order), to measure or check against what
 * replaced it. Executor-agnostic: `query` runs one statement.
 */
export async function recreateFunction (
  query: (text: string) => Promise<unknown>, name: string, migrations: readonly string[]
): Promise<void> {
  for (const file of migrations) {
    const text = readFileSync(new URL(`../migrations/${file}`, import.meta.url), 'utf8')
    for (const statement of text.split('--> statement-breakpoint')) {
      if (statement.includes(`FUNCTION "${name}"(`)) await query(statement)
    }
  }
}

export function fmt (n: number): string {
  return Math.round(n).toLocaleString('en')
}

/**
 * PostgreSQL CPU of one database's own backends (the connections of the servers measured, and
 * the parallel workers they start), from the kernel's accounting of each backend process
 * (/proc/<pid>/schedstat): neither other databases' backends on a shared machine nor the server's
 * background processes (WAL writer, checkpointer, autovacuum) are counted. A backend that ends
 * between two samples loses what it used since the first; one that starts counts in full.
 */
export class DatabaseCpu {
  readonly #admin: postgres.Sql
  readonly #name: string

  constructor (url: string) {
    const u = new URL(url)
    this.#name = decodeURIComponent(u.pathname.slice(1))
    u.pathname = '/postgres'
    this.#admin = postgres(u.toString(), { max: 1, onnotice: () => {} })
  }

  /** CPU seconds so far of each backend of the database, by pid. */
  async sample (): Promise<Map<number, number>> {
    const rows = await this.#admin`select pid from pg_stat_activity
      where datname = ${this.#name} and backend_type in ('client backend', 'parallel worker')`
    const out = new Map<number, number>()
    for (const { pid } of rows) {
      try {
        // schedstat's first field: nanoseconds on a CPU (stat's utime and stime count 10 ms ticks).
        out.set(Number(pid), Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9)
      } catch {}
    }
    return out
  }

  /** Seconds used between two samples. */
  static between (before: Map<number, number>, after: Map<number, number>): number {
    let total = 0
    for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0)
    return total
  }

  async close (): Promise<void> { await this.#admin.end() }
}
