/**
 * Record sources: what answers a verification's lookups for a connector (design §14.2, §14.3).
 * The verification pipeline asks for one subject's records in one connector, by the subject's
 * keyed hash, and never learns where they are kept: a connector whose snapshots are loaded into
 * the hub (an upload, a database pull) is read from its active snapshot's own table; a connector
 * of another kind (the live department agent) answers from wherever its kind says.
 *
 * Each kind of connector names its record source in src/connectors/kinds/. A record source must
 * return `SubjectRecords` — the records, and whether the subject is *unreadable* there (design
 * §14.1) — and must fail (throw) rather than answer from data it could not read in full: the
 * pipeline refuses the request, never answers `no` from a failed read.
 */
import type { Executor } from '../db/client.ts'
import type { AgentRef } from '../db/schema/index.ts'
import { RecordLookups, type SubjectRecords } from './records.ts'

/** One subject's records to read: its keyed hash under the key version of the connector's data. */
export interface RecordLookup {
  connectorId: string
  /** the connector's kind, which decides the record source */
  kind: string
  /** the connector's active snapshot (for kinds that keep snapshots in the hub) */
  snapshotId: number
  /**
   * rows of one subject to read at most (the connector's maxRecordsPerSubject, design §14.1): past
   * it the subject is unreadable; default 1,000
   */
  maxRecords?: number
  subjectHash: Uint8Array
  /** the key version `subjectHash` is under (a source that hashes elsewhere checks it matches) */
  keyVersion?: number
  /** kind agent: where the department's agent is asked */
  agent?: AgentRef
  /** what the request is, for a source that keeps its own log of lookups (the agent's) */
  asked?: { verification: string, caller: string, purpose: string }
}

export interface RecordSource {
  lookup(l: RecordLookup): Promise<SubjectRecords>
  /** releases what the source holds open (connections to agents, timers) */
  close?(): Promise<void>
}

/** Lookups in the hub's own tables: the active snapshot's records, batched across requests. */
export class SnapshotRecords implements RecordSource {
  readonly #lookups: RecordLookups

  constructor (db: Executor) {
    this.#lookups = new RecordLookups(db)
  }

  async lookup (l: RecordLookup): Promise<SubjectRecords> {
    return await this.#lookups.lookup(l.snapshotId, l.subjectHash, l.maxRecords)
  }
}
