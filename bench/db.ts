/**
 * A scratch PostgreSQL database for one benchmark run: created on the server of BENCH_DATABASE_URL
 * (or DATABASE_URL, or the local postgres://postgres@127.0.0.1:5432/postgres), migrated, dropped
 * at the end. Benchmarks always run against real PostgreSQL.
 */
import { randomBytes } from 'node:crypto'
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

export function fmt (n: number): string {
  return Math.round(n).toLocaleString('en')
}
