/**
 * POST /v1/connectors/:id/sync (design §14.2): a pull connector's source read now and loaded as a
 * snapshot, or `{unchanged: true}` when its rows are the active snapshot's (admin, or the
 * department's dept_admin).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { syncConnector } from '../../../../connectors/pull/sync.ts'
import { withErrors } from '../../../schemas/common.ts'
import { IdParams, SnapshotSummary } from '../../../schemas/registry.ts'
import { ownedConnector } from './owned.ts'

const managers = { roles: ['admin', 'dept_admin'] as const }

const sync: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry } = app

  app.post('/:id/sync', {
    config: managers,
    schema: {
      tags: ['connectors'],
      summary: 'Sync a pull connector now',
      description: 'Reads the department\'s query now and loads it as a snapshot dated today (China Standard ' +
        'Time), or answers `unchanged: true` with the active snapshot when the rows are the same. Every sync is ' +
        'an audit entry (kind `load`).',
      params: IdParams,
      response: withErrors({
        200: Type.Object({
          unchanged: Type.Optional(Type.Literal(true, { description: 'the rows were the active snapshot\'s' })),
          snapshot: SnapshotSummary
        })
      }, 404, 409, 422, 502)
    }
  }, async (request) => {
    const connector = await ownedConnector(database, request.principal!, request.params.id)
    const result = await syncConnector({ database, keyring, onActivated: () => { registry.invalidate() } },
      connector, request.principal!, 'request')
    const snapshot = { ...result.snapshot }
    delete snapshot.unchanged
    return { ...(result.unchanged ? { unchanged: true as const } : {}), snapshot: { ...snapshot, error: null } }
  })
}

export default sync
