/**
 * GET /v1/agent-key: the hub's public key for department agents (design §14.3). Public: an agent
 * takes it as --hub-key and refuses every request not signed with it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { HUB_KEYID } from '../../../agent/server.ts'
import { HUB_KEY_INFO, signingKeyFromSeed } from '../../../agent/identity.ts'

const AgentKey = Type.Object({
  publicKey: Type.String({ description: 'Ed25519 public key, base64url of its 32 bytes' }),
  keyid: Type.String({ description: 'the keyid of the hub\'s RFC 9421 signatures' }),
  alg: Type.Literal('ed25519')
})

const agentKey: FastifyPluginAsyncTypebox = async (app) => {
  // The same key the agent kind's record source signs with (src/connectors/kinds/agent.ts).
  const publicKey = signingKeyFromSeed(app.keyring.derive(HUB_KEY_INFO)).publicKey
  app.get('/agent-key', {
    config: { roles: 'public' },
    schema: {
      tags: ['connectors'],
      summary: 'The hub\'s key for department agents',
      description: 'The Ed25519 key the hub signs its lookups to department agents with (RFC 9421); the agent ' +
        'takes it as --hub-key (docs/agent.md).',
      response: { 200: AgentKey }
    }
  }, async () => ({ publicKey, keyid: HUB_KEYID, alg: 'ed25519' as const }))
}

export default agentKey
