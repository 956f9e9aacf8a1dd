/** `kind: "file"`: snapshots uploaded as CSV or NDJSON (design §5, §14.1), kept and read in the hub. */
import type { ConnectorKind } from './index.ts'

export const fileKind: ConnectorKind = {
  name: 'file',
  uploads: true,
  records: 'snapshots'
}
