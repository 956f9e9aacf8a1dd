/**
 * POST /v1/connectors/:id/keys/rotate (admin; design §14.2): the connector's next key version.
 * The next load hashes under it; the active snapshot keeps answering under its own version.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { rotateConnectorKey } from '../../../../connectors/keys.ts'
import { withErrors } from '../../../schemas/common.ts'
import { IdParams } from '../../../schemas/registry.ts'

const keys: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry } = app

  app.post('/:id/keys/rotate', {
    config: { roles: ['admin'] as const },
    schema: {
      tags: ['connectors'],
      params: IdParams,
      response: withErrors({
        200: Type.Object({
          connector: Type.String(),
          keyVersion: Type.Integer({ description: 'the key version the connector\'s next load hashes under' })
        })
      }, 404, 409)
    }
  }, async (request) => {
    const rotated = await rotateConnectorKey(database, keyring, request.principal!, request.params.id)
    registry.invalidate()
    return rotated
  })
}

export default keys
