/** Load history and freshness of a connector (GET /v1/connectors/:id, /snapshots; design §14.1 "Load record"). */
import type { Executor } from '../db/client.ts'
import type { RejectedRow } from '../db/schema/index.ts'

/** One load attempt: completed (active, superseded), failed, abandoned, or still loading. */
export interface SnapshotView {
  id: number
  connector: string
  status: string
  rows: number
  subjects: number
  rejectedCount: number
  rejectedByCode: Record<string, number>
  rejected: RejectedRow[]
  unreadableSubjects: number
  unlinkableRows: number
  ignoredColumns: string[]
  asOf: string
  /** who started it (the token's sub) */
  actor: string
  startedAt: string
  finishedAt: string | null
  loadedAt: string | null
  error: string | null
}

const instant = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

const SELECT = `select id, connector_id, status, rows, subjects, rejected_count, rejected_by_code, rejected,
  unreadable_subjects, unlinkable_rows, ignored_columns, as_of::text as as_of, started_by,
  ${instant('started_at')} as started_at,
  ${instant('finished_at')} as finished_at, ${instant('loaded_at')} as loaded_at, error from snapshots`

function view (r: Record<string, unknown>): SnapshotView {
  return {
    id: Number(r.id),
    connector: r.connector_id as string,
    status: r.status as string,
    rows: Number(r.rows),
    subjects: Number(r.subjects),
    rejectedCount: Number(r.rejected_count),
    rejectedByCode: r.rejected_by_code as Record<string, number>,
    rejected: r.rejected as RejectedRow[],
    unreadableSubjects: Number(r.unreadable_subjects),
    unlinkableRows: Number(r.unlinkable_rows),
    ignoredColumns: r.ignored_columns as string[],
    asOf: r.as_of as string,
    actor: r.started_by as string,
    startedAt: r.started_at as string,
    finishedAt: (r.finished_at as string | null) ?? null,
    loadedAt: (r.loaded_at as string | null) ?? null,
    error: (r.error as string | null) ?? null
  }
}

export async function listSnapshots (db: Executor, connectorId: string, limit = 100): Promise<SnapshotView[]> {
  return (await db.query(`${SELECT} where connector_id = $1 order by id desc limit $2`, [connectorId, limit])).map(view)
}

export async function getSnapshot (db: Executor, id: number): Promise<SnapshotView | null> {
  const [row] = await db.query(`${SELECT} where id = $1`, [id])
  return row === undefined ? null : view(row)
}
