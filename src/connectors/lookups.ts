/**
 * Every connector's lookups, each sent to the record source of its connector's kind
 * (src/connectors/kinds/). One instance per service process (the `records` plugin).
 */
import { ShifouError } from '../errors.ts'
import { KINDS, type KindDeps } from './kinds/index.ts'
import { SnapshotRecords, type RecordLookup, type RecordSource } from './record-source.ts'
import type { SubjectRecords } from './records.ts'

export class ConnectorLookups implements RecordSource {
  readonly #byKind = new Map<string, RecordSource>()

  constructor (deps: KindDeps) {
    const snapshots = new SnapshotRecords(deps.database)
    for (const kind of KINDS) {
      this.#byKind.set(kind.name, kind.records === 'snapshots' ? snapshots : kind.records(deps))
    }
  }

  async lookup (l: RecordLookup): Promise<SubjectRecords> {
    const source = this.#byKind.get(l.kind)
    // A kind this process does not know (a newer process registered it): refused, never a `no`.
    if (source === undefined) {
      throw new ShifouError('CONNECTOR_UNAVAILABLE', 'This connector\'s records cannot be read by this service')
    }
    return await source.lookup(l)
  }

  async close (): Promise<void> {
    await Promise.all([...new Set(this.#byKind.values())].map(async (s) => await s.close?.()))
  }
}
