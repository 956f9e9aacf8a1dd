/**
 * A department's own database for the tests of pull connectors (design §14.2): a second
 * PostgreSQL database on the local server (`dept_test_…`), or a database on a real MariaDB for the
 * MySQL family, which test/helpers/mariadb.sh installs and starts when it is absent (as .ci/run
 * does). Each is made for one test file and dropped at its end.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import mysql from 'mysql2/promise'
import type { Teardown } from './db.ts'

/** The local PostgreSQL server (DATABASE_URL's, else 127.0.0.1:5432 as postgres). */
const SERVER = process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== ''
  ? process.env.DATABASE_URL
  : 'postgres://postgres@127.0.0.1:5432/postgres'

export const MARIADB_PORT = Number(process.env.MARIADB_PORT ?? 3306)
const MARIADB_USER = 'shifou_test'
const MARIADB_PASSWORD = 'shifou-test'

export interface DepartmentDb {
  /** the URL a connector's source names (with the credentials) */
  url: string
  /** runs SQL in the department's database (set up tables and views) */
  exec: (text: string, params?: unknown[]) => Promise<unknown>
}

function withDatabase (url: string, name: string): string {
  const u = new URL(url)
  u.pathname = '/' + name
  return u.toString()
}

/** A fresh PostgreSQL database standing in for a department's. */
export async function departmentPostgres (t: Teardown): Promise<DepartmentDb> {
  const name = 'dept_test_' + randomBytes(5).toString('hex')
  const admin = postgres(withDatabase(SERVER, 'postgres'), { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = withDatabase(SERVER, name)
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  t.teardown(async () => {
    await sql.end({ timeout: 1 })
    await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => {})
    await admin.end({ timeout: 1 })
  })
  return { url, exec: async (text, params) => await sql.unsafe(text, params as never[]) }
}

let ensured = false

/** Installs and starts MariaDB when it is absent (test/helpers/mariadb.sh), once per process. */
export function ensureMariadb (): void {
  if (ensured) return
  const script = fileURLToPath(new URL('./mariadb.sh', import.meta.url))
  execFileSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env } })
  ensured = true
}

/** A fresh database on MariaDB standing in for a department's (the MySQL family). */
export async function departmentMariadb (t: Teardown): Promise<DepartmentDb> {
  ensureMariadb()
  const name = 'shifou_dept_' + randomBytes(5).toString('hex')
  const base = { host: '127.0.0.1', port: MARIADB_PORT, user: MARIADB_USER, password: MARIADB_PASSWORD }
  const admin = await mysql.createConnection(base)
  await admin.query(`create database ${name} character set utf8mb4`)
  await admin.end()
  const conn = await mysql.createConnection({ ...base, database: name })
  t.teardown(async () => {
    await conn.query(`drop database if exists ${name}`).catch(() => {})
    await conn.end().catch(() => {})
  })
  return {
    url: `mysql://${MARIADB_USER}:${MARIADB_PASSWORD}@127.0.0.1:${MARIADB_PORT}/${name}`,
    exec: async (text, params) => await conn.query(text, params)
  }
}
