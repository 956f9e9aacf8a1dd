/** Reading a subject's records (src/connectors/records.ts): concurrent requests' lookups, one statement per batch. */
import fp from 'fastify-plugin'
import { RecordLookups } from '../../connectors/records.ts'

declare module 'fastify' {
  interface FastifyInstance {
    records: RecordLookups
  }
}

export default fp(async (app) => {
  app.decorate('records', new RecordLookups(app.database))
}, { name: 'records', dependencies: ['database'] })
