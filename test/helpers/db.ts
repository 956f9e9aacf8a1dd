/**
 * A database of its own for one test file: a fresh PostgreSQL database when DATABASE_URL is set
 * (so test files can run in parallel), otherwise an in-memory PGlite. Migrated, dropped at the end.
 *
 * Migrating is done once per set of migrations, not once per database. On PostgreSQL the first test
 * file to need it migrates a template database named after a hash of the migrations (a changed
 * migration makes a new one), under an advisory lock so that parallel files do not race; every
 * test database is then `create database … template …`. On PGlite the migrated data directory is
 * dumped once to a file in the temporary folder and every database starts from it: PGlite.create()
 * runs initdb (about 4 s) where loading the dump takes about 1 s.
 */
import { createHash, randomBytes } from 'node:crypto'
import {
  existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { PGlite } from '@electric-sql/pglite'
import { openDatabase, type Database } from '../../src/db/client.ts'
import { migrate, MIGRATIONS_FOLDER } from '../../src/db/migrate.ts'

export interface Teardown { teardown(fn: () => unknown): void }

export const databaseUrl: string | null =
  process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '' ? process.env.DATABASE_URL : null

/** Arbitrary constant naming the template lock ("tpl" after "shifou" in ASCII). */
const TEMPLATE_LOCK = 0x736869666f75 + 0x74706c
/** Templates of other migration sets are dropped once this old (a branch switched away from). */
const STALE_MS = 24 * 3600_000

/** A hash of everything that decides a migrated schema: the migrations folder and the migrator. */
function migrationsHash (): string {
  const hash = createHash('sha256')
  const files = (dir: string): string[] => readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
  for (const path of [
    ...files(MIGRATIONS_FOLDER),
    fileURLToPath(new URL('../../src/db/migrate.ts', import.meta.url))
  ]) {
    hash.update(path.slice(MIGRATIONS_FOLDER.length)).update('\0').update(readFileSync(path)).update('\0')
  }
  return hash.digest('hex').slice(0, 16)
}

const HASH = migrationsHash()
export const TEMPLATE = 'shifou_tpl_' + HASH

function urlOf (name: string): string {
  const url = new URL(databaseUrl!)
  url.pathname = '/' + name
  return url.toString()
}

/** Drops what earlier runs left: unfinished builds, and templates of other migrations a day old. */
async function dropLeftovers (sql: postgres.ReservedSql): Promise<void> {
  const rows = await sql<Array<{ datname: string, comment: string | null }>>`
    select datname, shobj_description(oid, 'pg_database') as comment from pg_database
    where datname like 'shifou\_tpl\_%' and datname <> ${TEMPLATE}`
  for (const { datname, comment } of rows) {
    const built = Date.parse(comment ?? '')
    if (!datname.includes('_build_') && !(Date.now() - built > STALE_MS)) continue
    try {
      await sql.unsafe(`alter database ${datname} is_template false`)
      await sql.unsafe(`drop database ${datname}`)
    } catch {
      // In use by another run at this moment: left for a later one.
    }
  }
}

let template: Promise<void> | null = null

/** Makes sure the migrated template database exists (once per process; the lock makes it once per set). */
async function ensureTemplate (): Promise<void> {
  template ??= (async () => {
    const admin = postgres(databaseUrl!, { max: 1, onnotice: () => {} })
    const sql = await admin.reserve()
    try {
      await sql`select pg_advisory_lock(${TEMPLATE_LOCK})`
      const [found] = await sql`select 1 from pg_database where datname = ${TEMPLATE}`
      if (found === undefined) {
        await dropLeftovers(sql)
        // Migrated under another name and renamed when complete: a run killed halfway leaves no
        // half-migrated template behind.
        const building = TEMPLATE + '_build_' + randomBytes(4).toString('hex')
        await sql.unsafe(`create database ${building}`)
        const database = await openDatabase({ url: urlOf(building), poolSize: 1 })
        try {
          await migrate(database)
        } finally {
          await database.close()
        }
        await sql.unsafe(`alter database ${building} rename to ${TEMPLATE}`)
        await sql.unsafe(`alter database ${TEMPLATE} is_template true`)
        await sql.unsafe(`comment on database ${TEMPLATE} is '${new Date().toISOString()}'`)
      }
      await sql`select pg_advisory_unlock(${TEMPLATE_LOCK})`
    } finally {
      sql.release()
      await admin.end()
    }
  })()
  template.catch(() => { template = null })
  await template
}

/**
 * Creates a PostgreSQL database and returns its URL and a function that drops it: migrated (a copy
 * of the template), or with `{ empty: true }` as `create database` makes it. Requires DATABASE_URL.
 */
export async function createTestDatabase (
  opts: { empty?: boolean } = {}
): Promise<{ url: string, drop: () => Promise<void> }> {
  if (databaseUrl === null) throw new Error('createTestDatabase needs DATABASE_URL')
  const name = 'shifou_t_' + randomBytes(6).toString('hex')
  if (opts.empty !== true) await ensureTemplate()
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(opts.empty === true ? `create database ${name}` : `create database ${name} template ${TEMPLATE}`)
  } catch (err) {
    await admin.end()
    throw err
  }
  return {
    url: urlOf(name),
    async drop () {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    }
  }
}

/** PGlite's version (a dump is read by the version that wrote it): its package.json does not export itself. */
function pgliteVersion (): string {
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
}
const PGLITE_VERSION = pgliteVersion()
let dump: Promise<Blob> | null = null

/**
 * The migrated PGlite data directory as a tarball, made by the first process that needs it and
 * kept in the temporary folder (named after the migrations and PGlite's version; written under a
 * temporary name and renamed, so a reader never sees half a file).
 */
async function migratedDataDir (): Promise<Blob> {
  dump ??= (async () => {
    const file = join(tmpdir(), `shifou-pglite-${PGLITE_VERSION}-${HASH}.tar`)
    if (!existsSync(file)) {
      // Dumps of other migrations or PGlite versions, a day old: a branch switched away from.
      for (const old of readdirSync(tmpdir()).filter((f) => /^shifou-pglite-.*\.tar$/.test(f))) {
        const path = join(tmpdir(), old)
        if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true })
      }
      // Migrated through the service's own client on a data directory on disk, then dumped.
      const dir = mkdtempSync(join(tmpdir(), 'shifou-pglite-build-'))
      try {
        const database = await openDatabase({ url: null, dataDir: dir })
        await migrate(database)
        await database.close()
        const pg = await PGlite.create(join(dir, 'pgdata'))
        try {
          const tarball = await pg.dumpDataDir('none')
          const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
          writeFileSync(partial, Buffer.from(await tarball.arrayBuffer()))
          renameSync(partial, file)
        } finally {
          await pg.close()
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
    return new Blob([readFileSync(file)])
  })()
  dump.catch(() => { dump = null })
  return await dump
}

export async function testDatabase (t: Teardown, opts: { poolSize?: number } = {}): Promise<Database> {
  const created = databaseUrl === null ? null : await createTestDatabase()
  // A generous deadline: these tests are about behaviour, on machines shared by several test runs,
  // where a statement taking 5 s is slowness, not a fault. test/db/timeouts.test.ts tests deadlines.
  const database = created === null
    ? await openDatabase({ url: null, memory: true, loadDataDir: await migratedDataDir() })
    : await openDatabase({ url: created.url, poolSize: opts.poolSize ?? 10, timeoutMs: 60_000 })
  t.teardown(async () => {
    await database.close()
    await created?.drop()
  })
  // Already migrated (a copy of the template or of the dump): this only confirms there is nothing left.
  await migrate(database)
  return database
}
