/**
 * `kind: "agent"` (design §14.3): the records stay at the department; its agent (shifou agent) is
 * asked each lookup over a signed exchange (src/connectors/agent-source.ts). No snapshot is ever
 * uploaded to the hub.
 */
import { AgentSources } from '../agent-source.ts'
import { HUB_KEY_INFO, signingKeyFromSeed } from '../../agent/identity.ts'
import type { ConnectorKind } from './index.ts'

export const agentKind: ConnectorKind = {
  name: 'agent',
  uploads: false,
  records: (deps) => new AgentSources(signingKeyFromSeed(deps.keyring.derive(HUB_KEY_INFO)),
    { deadlineMs: deps.agentTimeoutMs })
}
