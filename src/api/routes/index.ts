/**
 * The routes, filed by URL: each folder is a URL prefix and each file the routes of one resource
 * under it. This list is the map of the API; a new route file is registered here with its prefix.
 */
import type { FastifyInstance } from 'fastify'
import health from './health.ts'
import jwks from './well-known/jwks.ts'
import departments from './v1/departments/index.ts'
import connectors from './v1/connectors/index.ts'
import snapshots from './v1/connectors/snapshots.ts'
import rejects from './v1/connectors/rejects.ts'
import connectorKeys from './v1/connectors/keys.ts'
import sync from './v1/connectors/sync.ts'
import questions from './v1/questions/index.ts'
import clients from './v1/clients/index.ts'
import clientSelf from './v1/clients/me.ts'
import purposes from './v1/purposes/index.ts'
import verifications from './v1/verifications/index.ts'
import verificationBatch from './v1/verifications/batch.ts'
import certificate from './v1/verifications/certificate.ts'
import entries from './v1/audit/entries.ts'
import subjectSearch from './v1/audit/subject-search.ts'
import checkpoint from './v1/audit/checkpoint.ts'
import proofs from './v1/audit/proofs.ts'
import exporter from './v1/audit/export.ts'
import alerts from './v1/audit/alerts.ts'
import auditSummary from './v1/audit/summary.ts'
import accessLog from './v1/me/access-log.ts'
import agentKey from './v1/agent-key.ts'
import assets from './pages/assets.ts'
import receiptCheck from './pages/receipt-check.ts'
import consolePages from './console/index.ts'

export default async function routes (app: FastifyInstance): Promise<void> {
  await app.register(health)
  await app.register(jwks, { prefix: '/.well-known' })
  await app.register(departments, { prefix: '/v1/departments' })
  await app.register(connectors, { prefix: '/v1/connectors' })
  await app.register(snapshots, { prefix: '/v1/connectors' })
  await app.register(rejects, { prefix: '/v1/connectors' })
  await app.register(connectorKeys, { prefix: '/v1/connectors' })
  await app.register(sync, { prefix: '/v1/connectors' })
  await app.register(questions, { prefix: '/v1/questions' })
  await app.register(clients, { prefix: '/v1/clients' })
  await app.register(clientSelf, { prefix: '/v1/clients' })
  await app.register(purposes, { prefix: '/v1/purposes' })
  await app.register(verifications, { prefix: '/v1/verifications' })
  await app.register(verificationBatch, { prefix: '/v1/verifications' })
  await app.register(certificate, { prefix: '/v1/verifications' })
  for (const plugin of [entries, subjectSearch, checkpoint, proofs, exporter, alerts, auditSummary]) {
    await app.register(plugin, { prefix: '/v1/audit' })
  }
  await app.register(accessLog, { prefix: '/v1/me' })
  await app.register(agentKey, { prefix: '/v1' })
  await app.register(assets, { prefix: '/assets' })
  await app.register(receiptCheck)
  await app.register(consolePages, { prefix: '/console' })
}
