/**
 * A pull connector's source and schedule as registered (design §14.2): checked, the URL sealed,
 * stored in `connector_sources` in the registry change's own transaction, and read back for a
 * sync. What is shown of it (`SourceView`, the schedule) never includes the URL.
 */
import type { Executor } from '../../db/client.ts'
import { ShifouError } from '../../errors.ts'
import { CronError, parseCron } from './cron.ts'
import { checkSource, ENGINES, type Engine, type SourceView } from './source.ts'

/** What POST and PUT /v1/connectors take for a pull connector. */
export interface PullInput {
  kind: string
  source?: { engine: Engine, url?: string, query: string }
  schedule?: string | null
}

/** A pull source ready to store: what may be shown, the sealed URL, the schedule. */
export interface PreparedPull { view: SourceView, sealedUrl: string, schedule: string | null }

/** A stored source. */
export interface StoredSource extends PreparedPull { scheduleClaimedAt: Date | null }

export type Seal = (connectorId: string, url: string) => string

const invalid = (detail: string): ShifouError => new ShifouError('INVALID_DEFINITION', detail)

/**
 * Checks the pull parts of a connector definition. Null for a file connector (which may carry
 * neither); for a pull connector the source (its URL may be left out of an update: the stored one
 * stays) and the schedule.
 */
export function preparePull (connectorId: string, input: PullInput, stored: StoredSource | null,
  seal: Seal | undefined): PreparedPull | null {
  if (input.kind !== 'pull') {
    if (input.source !== undefined || (input.schedule !== undefined && input.schedule !== null)) {
      throw invalid('source and schedule are for connectors of kind "pull"')
    }
    return null
  }
  if (input.source === undefined) {
    throw invalid('a pull connector needs source: {engine, url, query} (engine postgres or mysql)')
  }
  const { engine, url, query } = input.source
  if (!(ENGINES as readonly string[]).includes(engine)) throw invalid('source.engine must be postgres or mysql')
  let sealedUrl: string
  let view: SourceView
  if (url === undefined) {
    if (stored === null) throw invalid('source.url is required when a pull connector is registered')
    if (stored.view.engine !== engine) throw invalid('a new source.engine needs its source.url')
    view = { ...stored.view, query: query.trim() }
    if (view.query === '') throw invalid('source.query must be one SELECT')
    sealedUrl = stored.sealedUrl
  } else {
    view = checkSource({ engine, url, query })
    if (seal === undefined) throw new Error('no sealing key for pull sources')
    sealedUrl = seal(connectorId, url)
  }
  let schedule: string | null = null
  if (input.schedule !== undefined && input.schedule !== null) {
    try {
      parseCron(input.schedule)
    } catch (err) {
      if (err instanceof CronError) throw invalid('schedule: ' + err.message)
      throw err
    }
    schedule = input.schedule.trim().split(/\s+/).join(' ')
  }
  return { view, sealedUrl, schedule }
}

export async function saveSource (tx: Executor, connectorId: string, p: PreparedPull): Promise<void> {
  await tx.query(`insert into connector_sources (connector_id, engine, host, database, query, sealed_url, schedule)
      values ($1, $2, $3, $4, $5, $6, $7)
    on conflict (connector_id) do update set engine = excluded.engine, host = excluded.host,
      database = excluded.database, query = excluded.query, sealed_url = excluded.sealed_url,
      schedule = excluded.schedule, updated_at = now()`,
  [connectorId, p.view.engine, p.view.host, p.view.database, p.view.query, p.sealedUrl, p.schedule])
}

interface SourceRow {
  engine: Engine
  host: string
  database: string
  query: string
  sealed_url: string
  schedule: string | null
  schedule_claimed_at: string | Date | null
}

const asStored = (r: SourceRow): StoredSource => ({
  view: { engine: r.engine, host: r.host, database: r.database, query: r.query },
  sealedUrl: r.sealed_url,
  schedule: r.schedule,
  scheduleClaimedAt: r.schedule_claimed_at === null ? null : new Date(r.schedule_claimed_at)
})

export async function getSource (db: Executor, connectorId: string): Promise<StoredSource | null> {
  const [row] = await db.query<SourceRow>(`select engine, host, database, query, sealed_url, schedule,
      schedule_claimed_at from connector_sources where connector_id = $1`, [connectorId])
  return row === undefined ? null : asStored(row)
}

/** The active pull connectors that have a schedule. */
export async function scheduledConnectors (db: Executor): Promise<Array<{ id: string, schedule: string }>> {
  return await db.query<{ id: string, schedule: string }>(`select s.connector_id as id, s.schedule
    from connector_sources s join connectors c on c.id = s.connector_id
    where s.schedule is not null and c.active and c.kind = 'pull' order by s.connector_id`)
}

/**
 * Claims the scheduled minute `slot` of a connector for this process: true for exactly one of
 * the processes that try (the row's update is atomic; the others find the slot taken).
 */
export async function claimSlot (db: Executor, connectorId: string, slot: Date): Promise<boolean> {
  const rows = await db.query(`update connector_sources set schedule_claimed_at = $2
    where connector_id = $1 and (schedule_claimed_at is null or schedule_claimed_at < $2) returning connector_id`,
  [connectorId, slot.toISOString()])
  return rows.length > 0
}
