/**
 * A department agent's own database (design §14.3): a shifou database (PGlite in its data
 * directory by default, or the department's PostgreSQL) holding one connector, loaded by the same
 * loader as the hub's (columns, encodings, values, rejects, unreadable subjects), and its own
 * append-only, tamper-evident log of every lookup it answered. A reload makes a new snapshot
 * active in one transaction while the previous one keeps answering: no gap.
 */
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import { pullSource } from '../connectors/pull/sync.ts'
import type { SourceSpec } from '../connectors/pull/source.ts'
import { declaredColumns } from '../connectors/columns.ts'
import { eq } from 'drizzle-orm'
import { openDatabase, type Database } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'
import { connectors, type ConnectorRow } from '../db/schema/index.ts'
import { loadSnapshot, type LoadResult } from '../connectors/load.ts'
import { readRecords, type SubjectRecords } from '../connectors/records.ts'
import type { SnapshotFormat, TextEncoding } from '../connectors/rows.ts'
import { writeEntries } from '../audit/writer.ts'
import type { EntryInput } from '../audit/entry.ts'
import { agentKeyring, type AgentKey } from './key.ts'
import type { LookupItem } from './protocol.ts'

/** The agent's actor in its own log and load records. */
const AGENT_ACTOR = { sub: 'shifou-agent', role: 'admin' } as const
const HUB_ACTOR = { sub: 'hub', role: 'hub' }

export interface LoadFileOptions {
  format: SnapshotFormat
  encoding: TextEncoding
  asOf: string
  onProgress?: (rows: number, rejected: number) => void
}

export interface ActiveData { id: number, asOf: string, keyVersion: number }

export class AgentStore {
  readonly database: Database
  readonly key: AgentKey
  #active: ActiveData | null = null

  private constructor (database: Database, key: AgentKey) {
    this.database = database
    this.key = key
  }

  /** Opens (and migrates) the agent's database and declares its connector there. */
  static async open (key: AgentKey, opts: { url: string | null, dataDir: string }): Promise<AgentStore> {
    const database = await openDatabase({ url: opts.url, dataDir: opts.dataDir, poolSize: 4 })
    try {
      await migrate(database)
      const c = key.connector
      await database.query(`insert into departments (id, name) values ('agent', 'department agent')
        on conflict (id) do nothing`)
      await database.query(`insert into connectors
          (id, department_id, title, kind, subject_field, subject_type, subject_column, fields, max_reject_ratio,
           max_records_per_subject)
        values ($1, 'agent', $1, 'file', $2, 'cn_resident_id', $3, $4::jsonb, $5, $6)
        on conflict (id) do update set subject_field = $2, subject_column = $3, fields = $4::jsonb,
          max_reject_ratio = $5, max_records_per_subject = $6, updated_at = now()`,
      [c.id, c.subjectField, c.subjectColumn, JSON.stringify(c.fields), c.maxRejectRatio, c.maxRecordsPerSubject])
      const store = new AgentStore(database, key)
      await store.refresh()
      return store
    } catch (err) {
      await database.close()
      throw err
    }
  }

  get active (): ActiveData | null {
    return this.#active
  }

  /**
   * Loads the connector's next snapshot from a file, or from the department's database (the pull
   * engines, src/connectors/pull); the previous one answers until it is active.
   */
  async load (from: { file: string } | { source: SourceSpec }, opts: LoadFileOptions): Promise<LoadResult> {
    const [connector] = await this.database.db.select().from(connectors)
      .where(eq(connectors.id, this.key.connector.id)) as ConnectorRow[]
    const base = {
      database: this.database,
      keyring: agentKeyring(this.key),
      actor: AGENT_ACTOR,
      connector: connector!,
      asOf: opts.asOf,
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress })
    }
    const description = { kind: 'pull', noun: 'the query\'s result', engine: '', trigger: 'agent' }
    const result = 'file' in from
      ? await loadSnapshot({
          ...base, format: opts.format, encoding: opts.encoding, input: createReadStream(from.file)
        })
      : await loadSnapshot({
          ...base,
          source: pullSource(from.source, declaredColumns(connector!), createHash('sha256'),
            { ...description, engine: from.source.engine })
        })
    await this.refresh()
    return result
  }

  /** Reads which snapshot is active (after a load, or one made by another process). */
  async refresh (): Promise<void> {
    const [row] = await this.database.query<{ id: number, as_of: string, key_version: number }>(
      `select s.id, to_char(s.as_of, 'YYYY-MM-DD') as as_of, s.key_version from connectors c
        join snapshots s on s.id = c.active_snapshot_id where c.id = $1`, [this.key.connector.id])
    this.#active = row === undefined ? null : { id: Number(row.id), asOf: row.as_of, keyVersion: row.key_version }
  }

  /**
   * The records of each subject in the active snapshot, with one entry per lookup in the agent's
   * log, committed before they are returned (an answer the hub gets is always in the department's log).
   */
  async lookup (items: readonly LookupItem[]): Promise<{ snapshot: ActiveData, results: SubjectRecords[] } | null> {
    const snapshot = this.#active
    if (snapshot === null) return null
    const results = await readRecords(this.database, items.map((l) => ({
      snapshotId: snapshot.id, subjectHash: Buffer.from(l.subject, 'hex'), max: this.key.connector.maxRecordsPerSubject
    })))
    const entries: EntryInput[] = items.map((l, i) => ({
      kind: 'lookup',
      actor: HUB_ACTOR,
      ...(l.verification === undefined ? {} : { verification: l.verification }),
      ...(l.caller === undefined ? {} : { caller: l.caller }),
      ...(l.purpose === undefined ? {} : { purpose: l.purpose }),
      snapshot: snapshot.id,
      asOf: snapshot.asOf,
      keyVersion: snapshot.keyVersion,
      code: results[i]!.unreadable ? 'UNREADABLE' : results[i]!.records.length > 0 ? 'FOUND' : 'NOT_FOUND',
      // The subject's keyed hash under this connector's key: the department can match it to its row.
      detail: { connector: this.key.connector.id, subject: l.subject, records: results[i]!.records.length }
    }))
    await this.database.transaction(async (tx) => { await writeEntries(tx, entries) })
    return { snapshot, results }
  }

  /** The log's entries from `from` on, oldest first. */
  async log (from: number, limit: number): Promise<unknown[]> {
    const rows = await this.database.query<{ entry: Buffer }>(
      'select entry from audit_entries where index >= $1 order by index limit $2', [from, limit])
    return rows.map((r) => JSON.parse(Buffer.from(r.entry).toString('utf8')) as unknown)
  }

  async close (): Promise<void> {
    await this.database.close()
  }
}
