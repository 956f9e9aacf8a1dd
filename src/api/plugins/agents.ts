/**
 * The departments' agents (design §14.3, src/connectors/agent-source.ts): one client per connector
 * of kind agent, and the hub's key that signs every request to them, derived from the master key.
 */
import fp from 'fastify-plugin'
import { AgentSources } from '../../connectors/agent-source.ts'
import { HUB_KEY_INFO, signingKeyFromSeed } from '../../agent/identity.ts'

declare module 'fastify' {
  interface FastifyInstance {
    agents: AgentSources
  }
}

export default fp<{ deadlineMs: number }>(async (app, opts) => {
  const agents = new AgentSources(signingKeyFromSeed(app.keyring.derive(HUB_KEY_INFO)), { deadlineMs: opts.deadlineMs })
  app.decorate('agents', agents)
  app.addHook('onClose', async () => { agents.close() })
}, { name: 'agents', dependencies: ['keys'] })
