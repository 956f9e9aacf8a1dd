/**
 * `kind: "pull"`: snapshots pulled from the department's own database by a sync (design §14.2,
 * src/connectors/pull/), kept and read in the hub like uploaded ones.
 */
import type { ConnectorKind } from './index.ts'

export const pullKind: ConnectorKind = {
  name: 'pull',
  uploads: false,
  records: 'snapshots'
}
