/**
 * The database (src/db/client.ts), opened by whoever builds the app: the CLI's server owns it and
 * closes it with the app; tests may keep theirs. Registered first, so that it closes last.
 */
import fp from 'fastify-plugin'
import type { Database } from '../../db/client.ts'

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DatabaseOptions {
  database: Database
  /** Close the database with the app. */
  ownsDatabase: boolean
}

export default fp<DatabaseOptions>(async (app, opts) => {
  app.decorate('database', opts.database)
  if (opts.ownsDatabase) app.addHook('onClose', async () => { await opts.database.close() })
}, { name: 'database' })
