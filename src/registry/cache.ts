/**
 * The registry as the hot path sees it: clients, compiled questions and each connector's active
 * snapshot, held in memory and refreshed when this process changes something, or after `ttlMs`
 * for changes made by other processes on the same database (default 1 s).
 */
import type { Database } from '../db/client.ts'
import type { CompiledPredicate, FieldType, ParamType } from '../matchers/predicate/index.ts'
import type { AgentRef, Quotas, Titles } from '../db/schema/index.ts'
import { compileQuestion, fieldTypes } from './definitions.ts'
import { masterKeyRef, type KeyRef } from '../keys/keyring.ts'

/**
 * A connector's active snapshot: `key` names the keys it was hashed under (a rotated version, or a
 * master one). For a connector of kind agent the hub has none: `agent` says where to ask, and the
 * snapshot is the agent's, known once it has answered (id 0 until then).
 */
export interface ActiveSnapshot { id: number, asOf: string, keyVersion: number, key: KeyRef, agent?: AgentRef }

export interface CachedConnector {
  id: string
  title: string
  titles: Titles | null
  departmentId: string
  /** the connector's kind (src/connectors/kinds/): which record source answers its lookups */
  kind: string
  active: boolean
  /** questions over a snapshot older than this are refused (503 CONNECTOR_STALE); null: no limit */
  maxAgeDays: number | null
  /** rows of one subject a lookup reads at most (design §14.1 "Bounded lookups") */
  maxRecordsPerSubject: number
  fields: Record<string, FieldType>
  snapshot: ActiveSnapshot | null
  /** kind agent: where its records are asked (the hub holds none) */
  agent: AgentRef | null
}

export interface CachedQuestion {
  id: string
  title: string
  titles: Titles | null
  description: string
  connectorId: string
  params: Record<string, ParamType>
  predicate: CompiledPredicate
  /** asked only with the subject's consent (src/consent) */
  requiresConsent: boolean
}

export interface CachedClient {
  id: string
  name: string
  organisation: string | null
  active: boolean
  confidential: boolean
  autoSuspend: boolean
  /** a confidential client appears in a citizen's access log only this long after asking */
  disclosureDelaySeconds: number
  questions: ReadonlySet<string>
  purposes: ReadonlySet<string>
  quotas: Quotas
}

export interface RegistryState {
  clients: ReadonlyMap<string, CachedClient>
  /** active questions only */
  questions: ReadonlyMap<string, CachedQuestion>
  connectors: ReadonlyMap<string, CachedConnector>
  /** every question's titles by id, deactivated ones included (old entries still name them) */
  questionNames: ReadonlyMap<string, { title: string, titles: Titles | null }>
  /** registered purposes' titles, by code */
  purposes: ReadonlyMap<string, Titles>
}

/** The rows as the cache reads them. */
interface LoadedClient {
  id: string
  name: string
  organisation: string | null
  active: boolean
  confidential: boolean
  auto_suspend: boolean
  disclosure_delay_seconds: number
  questions: string[]
  purposes: string[]
  quotas: Quotas
}

interface LoadedQuestion {
  id: string
  title: string
  titles: Titles | null
  description: string
  active: boolean
  connector_id: string
  params: Record<string, string>
  when: unknown
  requires_consent: boolean
}

interface LoadedConnector {
  id: string
  title: string
  titles: Titles | null
  department_id: string
  kind: string
  active: boolean
  max_age_days: number | null
  max_records_per_subject: number
  fields: Array<{ name: string, type: string }>
  agent: AgentRef | null
  snapshot_id: number | null
  as_of: string | null
  key_version: number | null
  /** the master key version of a key version made by a rotation (null: the key version is a master one) */
  key_master: number | null
}

export class RegistryCache {
  readonly #database: Database
  readonly #ttlMs: number
  #state: RegistryState | null = null
  #loadedAt = 0
  #loading: Promise<RegistryState> | null = null
  #generation = 0

  constructor (database: Database, ttlMs = 1000) {
    this.#database = database
    this.#ttlMs = ttlMs
  }

  invalidate (): void {
    this.#generation++
    this.#state = null
  }

  async current (): Promise<RegistryState> {
    if (this.#state !== null && Date.now() - this.#loadedAt < this.#ttlMs) return this.#state
    if (this.#loading === null) {
      const generation = this.#generation
      this.#loading = this.#load().then((state) => {
        // A change made while loading makes this state stale at once.
        if (generation === this.#generation) {
          this.#state = state
          this.#loadedAt = Date.now()
        }
        return state
      }).finally(() => { this.#loading = null })
    }
    return await this.#loading
  }

  async #load (): Promise<RegistryState> {
    const db = this.#database
    const [clientRows, questionRows, connectorRows, purposeRows] = await Promise.all([
      db.query<LoadedClient>(
        `select id, name, organisation, active, confidential, auto_suspend, disclosure_delay_seconds, questions,
            purposes, quotas
           from clients`),
      db.query<LoadedQuestion>(
        `select id, title, titles, description, active, connector_id, params, "when", requires_consent
           from questions`),
      db.query<LoadedConnector>(
        `select c.id, c.title, c.titles, c.department_id, c.kind, c.active, c.max_age_days,
            c.max_records_per_subject, c.fields, c.agent,
            s.id as snapshot_id, s.as_of::text as as_of, s.key_version, k.master_version as key_master
           from connectors c left join snapshots s on s.id = c.active_snapshot_id
             left join connector_keys k on k.connector_id = c.id and k.version = s.key_version`),
      db.query<{ id: string, titles: Titles }>('select id, titles from purposes')
    ])
    const connectors = new Map<string, CachedConnector>()
    for (const r of connectorRows) {
      connectors.set(r.id, {
        id: r.id,
        title: r.title,
        titles: r.titles ?? null,
        departmentId: r.department_id,
        kind: r.kind,
        active: r.active,
        maxAgeDays: r.max_age_days === null ? null : Number(r.max_age_days),
        maxRecordsPerSubject: Number(r.max_records_per_subject),
        fields: fieldTypes(r.fields),
        agent: r.agent ?? null,
        snapshot: r.snapshot_id === null
          ? null
          : {
              id: Number(r.snapshot_id),
              asOf: r.as_of as string,
              keyVersion: Number(r.key_version),
              key: r.key_master === null
                ? masterKeyRef(Number(r.key_version))
                : { version: Number(r.key_version), master: Number(r.key_master), tagged: true }
            }
      })
    }
    const questions = new Map<string, CachedQuestion>()
    const questionNames = new Map(questionRows.map((r) => [r.id, { title: r.title, titles: r.titles ?? null }]))
    for (const r of questionRows) {
      if (!r.active) continue
      const connector = connectors.get(r.connector_id)
      if (connector === undefined) continue
      const fields = Object.entries(connector.fields).map(([name, type]) => ({ name, type }))
      questions.set(r.id, {
        id: r.id,
        title: r.title,
        titles: r.titles ?? null,
        description: r.description,
        connectorId: r.connector_id,
        params: r.params as Record<string, ParamType>,
        // Definitions were checked at registration; compiling again builds the closures once here.
        predicate: compileQuestion(r.when, fields, r.params),
        requiresConsent: r.requires_consent
      })
    }
    const clients = new Map<string, CachedClient>()
    for (const r of clientRows) {
      clients.set(r.id, {
        id: r.id,
        name: r.name,
        organisation: r.organisation,
        active: r.active,
        confidential: r.confidential,
        autoSuspend: r.auto_suspend,
        disclosureDelaySeconds: Number(r.disclosure_delay_seconds),
        questions: new Set(r.questions),
        purposes: new Set(r.purposes),
        quotas: r.quotas
      })
    }
    const purposes = new Map(purposeRows.map((r) => [r.id, r.titles]))
    return { clients, questions, connectors, purposes, questionNames }
  }
}
