/**
 * A connector's freshness (design §14.2): how old its active snapshot is, whether that is past
 * the connector's `maxAgeDays` (then its questions are refused with 503 CONNECTOR_STALE, never
 * answered from old data), and how its last load went. GET /v1/connectors/:id shows it as
 * `health`; /metrics exports it as gauges per connector.
 */
import type { Executor } from '../db/client.ts'
import { todayCst } from '../matchers/cn-resident-id.ts'

const DAY_MS = 86_400_000

/** Whole days from `asOf` (YYYY-MM-DD) to today in China Standard Time. */
export function ageDays (asOf: string, now: Date = new Date()): number {
  const t = todayCst(now)
  const today = Date.UTC(Number(t.slice(0, 4)), Number(t.slice(4, 6)) - 1, Number(t.slice(6, 8)))
  const [y, m, d] = asOf.split('-').map(Number)
  return Math.round((today - Date.UTC(y!, m! - 1, d!)) / DAY_MS)
}

/** Whether a snapshot of `asOf` is too old for a connector allowing `maxAgeDays` (null: no limit). */
export function isStale (asOf: string, maxAgeDays: number | null, now: Date = new Date()): boolean {
  return maxAgeDays !== null && ageDays(asOf, now) > maxAgeDays
}

export type Freshness = 'fresh' | 'stale' | 'never-loaded'

export interface ConnectorHealth {
  status: Freshness
  activeSnapshot: number | null
  asOf: string | null
  ageDays: number | null
  maxAgeDays: number | null
  stale: boolean
  /** rows of the active snapshot (0 when none) */
  rows: number
  /** the latest load attempt: loading, active, superseded, failed or abandoned */
  lastLoad: { snapshot: number, status: string, finishedAt: string | null, code?: string } | null
}

interface HealthRow {
  id: string
  max_age_days: number | null
  snapshot_id: number | null
  as_of: string | null
  rows: number | null
  last_id: number | null
  last_status: string | null
  last_finished: string | null
  last_error: string | null
}

const STATEMENT = `select c.id, c.max_age_days, s.id as snapshot_id, s.as_of::text as as_of, s.rows,
    l.id as last_id, l.status as last_status, l.error as last_error,
    to_char(l.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_finished
  from connectors c
  left join snapshots s on s.id = c.active_snapshot_id
  left join lateral (
    select x.id, x.status, x.error, x.finished_at from snapshots x
      where x.connector_id = c.id order by x.id desc limit 1
  ) l on true`

/** The health of the given connectors (all active ones when `ids` is null), by connector id. */
export async function connectorHealth (db: Executor, ids: readonly string[] | null, now: Date = new Date()):
Promise<Map<string, ConnectorHealth>> {
  const rows = ids === null
    ? await db.query<HealthRow>(`${STATEMENT} where c.active order by c.id`)
    : await db.query<HealthRow>(`${STATEMENT} where c.id = any($1::text[]) order by c.id`, [ids])
  return new Map(rows.map((r) => [r.id, healthOf(r, now)]))
}

function healthOf (r: HealthRow, now: Date): ConnectorHealth {
  const maxAgeDays = r.max_age_days === null ? null : Number(r.max_age_days)
  const age = r.as_of === null ? null : ageDays(r.as_of, now)
  const stale = r.as_of !== null && isStale(r.as_of, maxAgeDays, now)
  return {
    status: r.snapshot_id === null ? 'never-loaded' : stale ? 'stale' : 'fresh',
    activeSnapshot: r.snapshot_id === null ? null : Number(r.snapshot_id),
    asOf: r.as_of,
    ageDays: age,
    maxAgeDays,
    stale,
    rows: r.rows === null ? 0 : Number(r.rows),
    lastLoad: r.last_id === null
      ? null
      : {
          snapshot: Number(r.last_id),
          status: r.last_status!,
          finishedAt: r.last_finished,
          ...(r.last_error === null ? {} : { code: r.last_error })
        }
  }
}
