/** `shifou migrate`: applies pending migrations to the configured database. */
import { loadConfig, loadDotEnv } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'

export async function migrateCommand (): Promise<number> {
  loadDotEnv()
  const config = loadConfig()
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, timeoutMs: config.dbTimeoutMs
  })
  try {
    const applied = await migrate(database)
    process.stdout.write(applied.length === 0 ? 'the database is up to date\n' : `applied: ${applied.join(', ')}\n`)
    return 0
  } finally {
    await database.close()
  }
}
