/** Load history and freshness of a connector (GET /v1/connectors/:id, /snapshots). */
import type { Executor } from '../db/client.ts'
import type { RejectedRow } from '../db/schema/index.ts'

export interface SnapshotView {
  id: number
  connector: string
  status: string
  rows: number
  subjects: number
  rejectedCount: number
  rejected: RejectedRow[]
  ignoredColumns: string[]
  asOf: string
  loadedAt: string | null
  error: string | null
}

const SELECT = `select id, connector_id, status, rows, subjects, rejected_count, rejected, ignored_columns,
  as_of::text as as_of, to_char(loaded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as loaded_at, error
  from snapshots`

function view (r: Record<string, unknown>): SnapshotView {
  return {
    id: Number(r.id),
    connector: r.connector_id as string,
    status: r.status as string,
    rows: Number(r.rows),
    subjects: Number(r.subjects),
    rejectedCount: Number(r.rejected_count),
    rejected: r.rejected as RejectedRow[],
    ignoredColumns: r.ignored_columns as string[],
    asOf: r.as_of as string,
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
