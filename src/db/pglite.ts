/**
 * PGlite, the embedded default (design §13): PostgreSQL compiled to WebAssembly, in this process.
 * It cannot stall apart from the process, so it has no deadline and no breaker; its maintenance
 * executor is the same connection.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { drizzle } from 'drizzle-orm/pglite'
import * as schema from './schema/index.ts'
import { ident } from './ident.ts'
import type { Database, DatabaseOptions, Db, Executor } from './client.ts'

/** PGlite takes COPY input as one blob; the sink sends it in slices of this size to bound memory. */
const PGLITE_COPY_SLICE = 8 * 1024 * 1024

export async function openPglite (opts: DatabaseOptions): Promise<Database> {
  let dataDir: string | undefined
  if (opts.memory !== true) {
    const dir = opts.dataDir ?? './.shifou'
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    dataDir = join(dir, 'pgdata')
  }
  const pg = await PGlite.create(dataDir)
  const db = drizzle({ client: pg, schema, casing: 'snake_case' }) as unknown as Db
  const exec = (q: Pick<PGlite, 'query'>): Executor => ({
    async query<T> (text: string, params: readonly unknown[] = []) {
      return (await q.query<T>(text, params as unknown[])).rows
    }
  })
  const root = exec(pg)
  const transaction = async <T>(fn: (tx: Executor) => Promise<T>): Promise<T> =>
    await pg.transaction(async (tx) => await fn(exec(tx)))
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
