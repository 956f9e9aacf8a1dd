/**
 * The kinds of connector (design §5 `kind`, §14.2, §14.3). Adding a kind is one file in this
 * folder and one line in KINDS: the file says how the kind's snapshots arrive (uploaded, pulled)
 * and which record source answers its lookups (src/connectors/record-source.ts).
 */
import type { Database } from '../../db/client.ts'
import type { RecordSource } from '../record-source.ts'
import type { Keyring } from '../../keys/keyring.ts'
import { fileKind } from './file.ts'
import { pullKind } from './pull.ts'
import { agentKind } from './agent.ts'

export interface KindDeps {
  database: Database
  /** for kinds that sign requests with a key of the hub's (the agent's) */
  keyring: Pick<Keyring, 'derive'>
  /** how long an agent may take to answer (SHIFOU_AGENT_TIMEOUT_MS) */
  agentTimeoutMs?: number
}

export interface ConnectorKind {
  /** the `kind` of POST /v1/connectors */
  name: string
  /** whether snapshots of it are uploaded (PUT /v1/connectors/:id/snapshot) */
  uploads: boolean
  /**
   * The record source answering lookups over connectors of this kind. Kinds that keep their
   * snapshots in the hub share one (`records: 'snapshots'`); built once per service process.
   */
  records: 'snapshots' | ((deps: KindDeps) => RecordSource)
}

export const KINDS: readonly ConnectorKind[] = [
  fileKind,
  pullKind,
  agentKind
]

export function kindOf (name: string): ConnectorKind | undefined {
  return KINDS.find((k) => k.name === name)
}
