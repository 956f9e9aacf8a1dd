/**
 * GET /.well-known/jwks.json: the receipt verification keys (design §9), public like the
 * checkpoint key, because receipts are meant to be checked by anyone, offline. Retired keys stay
 * listed so that old receipts keep verifying.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { JwksResponse } from '../../schemas/receipts.ts'

const wellKnown: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/jwks.json', {
    config: { roles: 'public' },
    schema: {
      tags: ['receipts'],
      description: 'The receipt verification keys as a JWK Set (RFC 7517): Ed25519, alg EdDSA; ' +
        'the current key first, retired keys after it.',
      response: { 200: JwksResponse, 404: JwksResponse }
    }
  }, async (_request, reply) => {
    // Short caching: a rotation is visible to verifiers within a minute.
    reply.header('cache-control', 'public, max-age=60')
    const jwks = await app.receipts.jwks()
    if (jwks === null) return reply.code(404).send({ keys: [] })
    return jwks
  })
}

export default wellKnown
