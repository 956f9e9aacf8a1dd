/**
 * A database of its own for one test file: a fresh PostgreSQL database when DATABASE_URL is set
 * (so test files can run in parallel), otherwise an in-memory PGlite. Migrated, dropped at the end.
 */
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { openDatabase, type Database } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'

export interface Teardown { teardown(fn: () => unknown): void }

export const databaseUrl: string | null = process.env.DATABASE_URL && process.env.DATABASE_URL !== '' ? process.env.DATABASE_URL : null

/**
 * Creates an empty PostgreSQL database; returns its URL and a function that drops it.
 * Requires DATABASE_URL.
 */
export async function createTestDatabase (): Promise<{ url: string, drop: () => Promise<void> }> {
  if (databaseUrl === null) throw new Error('createTestDatabase needs DATABASE_URL')
  const name = 'shifou_t_' + randomBytes(6).toString('hex')
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(databaseUrl)
  url.pathname = '/' + name
  return {
    url: url.toString(),
    async drop () {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    }
  }
}

export async function testDatabase (t: Teardown, opts: { poolSize?: number } = {}): Promise<Database> {
  const created = databaseUrl === null ? null : await createTestDatabase()
  // A generous deadline: these tests are about behaviour, on machines shared by several test runs,
  // where a statement taking 5 s is slowness, not a fault. test/db/timeouts.test.ts tests deadlines.
  const database = await openDatabase({
    url: created?.url ?? null, memory: true, poolSize: opts.poolSize ?? 10, timeoutMs: 60_000
  })
  t.teardown(async () => {
    await database.close()
    await created?.drop()
  })
  await migrate(database)
  return database
}
