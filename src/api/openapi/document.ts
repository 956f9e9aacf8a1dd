/**
 * The OpenAPI document, built without a server or a configured database: the app on an in-memory
 * PGlite (migrated, since plugins read their tables when the app starts) with throwaway keys, which
 * the document does not depend on. `npm run client:generate` writes it, and the typed client, from here.
 */
import { randomBytes } from 'node:crypto'
import { openDatabase } from '../../db/client.ts'
import { migrate } from '../../db/migrate.ts'
import { Keyring } from '../../keys/keyring.ts'
import { buildApp } from '../app.ts'

export async function openapiDocument (): Promise<Record<string, unknown>> {
  const database = await openDatabase({ url: null, memory: true })
  try {
    await migrate(database)
    const app = await buildApp({
      config: {
        issuer: 'shifou',
        jwtSecret: randomBytes(32),
        jwtPublicKeysFile: null,
        logLevel: 'silent',
        checkpointKey: randomBytes(32),
        auditOrigin: 'shifou.invalid/audit',
        checkpointEntries: 1000,
        checkpointSeconds: 3600
      },
      database,
      keyring: new Keyring(new Map([[1, randomBytes(32)]])),
      logger: false
    })
    try {
      await app.ready()
      return app.swagger() as unknown as Record<string, unknown>
    } finally {
      await app.close()
    }
  } finally {
    await database.close()
  }
}
