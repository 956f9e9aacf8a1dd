/**
 * Alerts raised by the abuse detectors, stored for auditors (GET /v1/audit/alerts). One alert per
 * kind and scope per day: a detector that keeps firing does not flood the list.
 */
import type { Executor } from '../db/client.ts'
import type { AlertKind } from './detectors.ts'

export interface AlertView {
  id: number
  at: string
  kind: string
  client: string | null
  organisation: string | null
  detail: Record<string, unknown>
  suspended: boolean
}

export interface NewAlert {
  kind: AlertKind
  client: string | null
  organisation: string | null
  /** what the alert is about within its kind (a client, an organisation, a prefix tag, a subject tag) */
  scope: string
  day: string
  detail: Record<string, number | string>
}

/** Stores the alert unless one of the same kind and scope was raised that day; returns its id or null. */
export async function storeAlert (db: Executor, a: NewAlert): Promise<number | null> {
  const rows = await db.query<{ id: number }>(`insert into alerts (client_id, organisation, kind, dedupe_key, detail)
      values ($1, $2, $3, $4, $5::jsonb) on conflict (dedupe_key) do nothing returning id`,
  [a.client, a.organisation, a.kind, `${a.kind}/${a.scope}/${a.day}`, JSON.stringify({ ...a.detail, day: a.day })])
  return rows[0] === undefined ? null : Number(rows[0].id)
}

interface AlertRow {
  id: number
  at: string
  kind: string
  client_id: string | null
  organisation: string | null
  detail: Record<string, unknown>
  suspended: boolean
}

export async function listAlerts (
  db: Executor,
  filter: { client?: string, kind?: string, since?: string },
  limit = 100,
  cursor = 0
): Promise<{ alerts: AlertView[], next: string | null }> {
  const where = ['id > $1']
  const params: unknown[] = [cursor]
  if (filter.client !== undefined) { params.push(filter.client); where.push(`client_id = $${params.length}`) }
  if (filter.kind !== undefined) { params.push(filter.kind); where.push(`kind = $${params.length}`) }
  if (filter.since !== undefined) { params.push(filter.since); where.push(`at >= $${params.length}::timestamptz`) }
  params.push(limit + 1)
  const rows = await db.query<AlertRow>(
    `select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
            kind, client_id, organisation, detail, suspended
       from alerts where ${where.join(' and ')} order by id limit $${params.length}`, params)
  const alerts = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    at: r.at,
    kind: r.kind,
    client: r.client_id,
    organisation: r.organisation,
    detail: r.detail,
    suspended: r.suspended
  }))
  return { alerts, next: rows.length > limit ? String(alerts[alerts.length - 1]!.id) : null }
}
