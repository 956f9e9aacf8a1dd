/**
 * A sync of a pull connector (design §14.2, POST /v1/connectors/:id/sync and the schedule): the
 * department's query is pulled through the connector's engine and loaded by the one loader
 * (src/connectors/load.ts) as a snapshot with `asOf` today (China Standard Time), with its load
 * record, reject report and audit entry like any load.
 *
 * **Unchanged.** While the rows stream, a SHA-256 digest is taken over the connector's definition
 * (subject and fields with their columns and types), the key version and the bytes of the rows as
 * the engine reads them (CSV of the declared columns). At the end of the stream it is compared
 * with the active snapshot's (src/connectors/load-unchanged.ts): equal means the same rows, in the
 * same order, under the same definition and key, so the sync ends `{unchanged: true}` without a
 * new snapshot. Hashing costs well under a second per million rows, next to the pull itself; the
 * rows are compared in the order the query returns them, so a query with an `ORDER BY` (or a
 * stable view) lets an unchanged table be recognised every time, and one without may load the
 * same data again (correct, only not skipped).
 *
 * Every sync ends in exactly one audit entry of kind `load` whose `detail.source` says it was a
 * pull (`engine`, `trigger`: request or schedule), with its code: ACTIVE, UNCHANGED, or why it
 * failed (SOURCE_UNREACHABLE, SOURCE_QUERY_FAILED, SOURCE_COLUMN_MISSING, REJECT_RATIO_EXCEEDED, …).
 */
import { currentKey } from '../keys.ts'
import { createHash, type Hash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { Database } from '../../db/client.ts'
import type { ConnectorRow } from '../../db/schema/index.ts'
import type { Keyring } from '../../keys/keyring.ts'
import { writeEntries } from '../../audit/writer.ts'
import { ShifouError } from '../../errors.ts'
import { actorOf, type Principal } from '../../principal.ts'
import { todayCst } from '../../matchers/cn-resident-id.ts'
import { declaredColumns, type ColumnSpec } from '../columns.ts'
import { loadSnapshot, type LoadResult } from '../load.ts'
import { byteSource, type SnapshotSource, type SourceDescription } from '../source.ts'
import { openSource, SOURCE_KEY_INFO } from './secret.ts'
import { getSource } from './store.ts'
import { pullPostgres } from './postgres.ts'
import { pullMysql } from './mysql.ts'
import type { Engine, PullEngine, SourceSpec } from './source.ts'

const ENGINE_OF: Record<Engine, PullEngine> = { postgres: pullPostgres, mysql: pullMysql }

export type SyncTrigger = 'request' | 'schedule'

export interface SyncDeps {
  database: Database
  keyring: Keyring
  /** Called once a new snapshot is active (to refresh the in-memory registry). */
  onActivated?: () => void
  /** Worker threads of the loader (src/connectors/convert-workers.ts) */
  workers?: { count: number, afterRows: number }
}

export interface SyncResult {
  /** true when the rows were the active snapshot's: no new snapshot */
  unchanged: boolean
  /** the new active snapshot, or (unchanged) the active one */
  snapshot: LoadResult
}

/** Passes bytes through, digesting them. */
function digesting (input: Readable, hash: Hash): Readable {
  const through = new Transform({
    transform (chunk: Buffer | string, _encoding, done) {
      hash.update(chunk)
      done(null, chunk)
    }
  })
  // A failure of the source (a ShifouError of the engine) reaches the loader as it is.
  input.on('error', (err) => through.destroy(err))
  return input.pipe(through)
}

/** A snapshot source pulling `spec` through its engine, digesting what it reads into `hash`. */
export function pullSource (spec: SourceSpec, declared: readonly ColumnSpec[], hash: Hash,
  description: SourceDescription): SnapshotSource {
  return {
    describe: () => description,
    open: async () => {
      const pulled = await ENGINE_OF[spec.engine](spec, declared)
      return await byteSource('csv', digesting(pulled.csv, hash), 'utf-8', description).open()
    }
  }
}

/** Syncs a pull connector now: a new snapshot, or `unchanged`. Throws the load's or the source's error. */
export async function syncConnector (deps: SyncDeps, connector: ConnectorRow, actor: Principal,
  trigger: SyncTrigger, now = new Date()): Promise<SyncResult> {
  if (connector.kind !== 'pull') {
    throw new ShifouError('NOT_A_PULL_CONNECTOR', 'Only connectors of kind "pull" sync; load this connector\'s ' +
      'snapshots with PUT /v1/connectors/:id/snapshot')
  }
  const stored = await getSource(deps.database, connector.id)
  if (stored === null) throw new ShifouError('NOT_A_PULL_CONNECTOR', 'This connector has no source registered')
  const url = openSource(deps.keyring.derive(SOURCE_KEY_INFO), connector.id, stored.sealedUrl)
  const spec: SourceSpec = { engine: stored.view.engine, url, query: stored.view.query }
  const declared = declaredColumns(connector)
  // The key version the load would hash under: after a rotation the same rows are not `unchanged`.
  const keyVersion = (await currentKey(deps.database, deps.keyring, connector)).version
  const hash = createHash('sha256').update(JSON.stringify({
    v: 1,
    subject: [connector.subjectField, connector.subjectType, connector.subjectColumn],
    fields: connector.fields,
    keyVersion,
    engine: spec.engine
  })).update('\n')
  const description: SourceDescription = { kind: 'pull', noun: 'the query\'s result', engine: spec.engine, trigger }
  const asOf = todayCst(now).replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3')
  let digest: Buffer | null = null
  try {
    const snapshot = await loadSnapshot({
      database: deps.database,
      keyring: deps.keyring,
      actor,
      connector,
      asOf,
      source: pullSource(spec, declared, hash, description),
      digest: () => (digest ??= hash.digest()),
      ...(deps.onActivated === undefined ? {} : { onActivated: deps.onActivated }),
      ...(deps.workers === undefined ? {} : { workers: deps.workers })
    })
    return { unchanged: snapshot.unchanged === true, snapshot }
  } catch (err) {
    // A sync refused before its attempt began (another load running) is recorded here; every
    // other outcome has its entry from the loader.
    if (err instanceof ShifouError && err.code === 'LOAD_IN_PROGRESS') {
      await deps.database.transaction(async (tx) => await writeEntries(tx, [{
        kind: 'load',
        actor: actorOf(actor),
        asOf,
        code: err.code,
        detail: { connector: connector.id, source: { kind: 'pull', engine: spec.engine, trigger } }
      }])).catch(() => {})
    }
    throw err
  }
}
