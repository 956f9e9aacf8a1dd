/**
 * Alerts raised by the abuse detectors, stored for auditors (GET /v1/audit/alerts). One alert per
 * kind and scope per day: a detector that keeps firing does not flood the list.
 */
import type { Database, Executor } from '../db/client.ts'
import { writeEntries } from '../audit/writer.ts'
import { ShifouError } from '../errors.ts'
import { actorOf, type Principal } from '../principal.ts'
import type { AlertKind } from './detectors.ts'

export interface AlertView {
  id: number
  at: string
  kind: string
  client: string | null
  organisation: string | null
  detail: Record<string, unknown>
  suspended: boolean
  /** when an auditor acknowledged it, and who (the actor's sub); null while open */
  acknowledged: { at: string, by: string } | null
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
  acknowledged_at: string | null
  acknowledged_by: string | null
}

const ALERT_COLUMNS = `id, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
  kind, client_id, organisation, detail, suspended,
  to_char(acknowledged_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as acknowledged_at, acknowledged_by`

function alertView (r: AlertRow): AlertView {
  return {
    id: Number(r.id),
    at: r.at,
    kind: r.kind,
    client: r.client_id,
    organisation: r.organisation,
    detail: r.detail,
    suspended: r.suspended,
    acknowledged: r.acknowledged_at === null ? null : { at: r.acknowledged_at, by: r.acknowledged_by ?? '' }
  }
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
    `select ${ALERT_COLUMNS} from alerts where ${where.join(' and ')} order by id limit $${params.length}`, params)
  const alerts = rows.slice(0, limit).map(alertView)
  return { alerts, next: rows.length > limit ? String(alerts[alerts.length - 1]!.id) : null }
}

/**
 * An auditor acknowledges an alert: recorded on the alert and as an audit entry (kind change) in
 * one transaction. Acknowledging an acknowledged alert changes nothing and writes no entry.
 */
export async function acknowledgeAlert (db: Database, id: number, actor: Principal): Promise<AlertView> {
  return await db.transaction(async (tx) => {
    const [row] = await tx.query<AlertRow>(
      `update alerts set acknowledged_at = clock_timestamp(), acknowledged_by = $2
        where id = $1 and acknowledged_at is null returning ${ALERT_COLUMNS}`, [id, actor.sub])
    if (row === undefined) {
      const [existing] = await tx.query<AlertRow>(`select ${ALERT_COLUMNS} from alerts where id = $1`, [id])
      if (existing === undefined) throw new ShifouError('NOT_FOUND', 'No alert with this id')
      return alertView(existing)
    }
    await writeEntries(tx, [{
      kind: 'change',
      actor: actorOf(actor),
      code: 'ACKNOWLEDGE',
      ...(row.client_id === null ? {} : { caller: row.client_id }),
      detail: { action: 'acknowledge', resource: 'alert', id: String(id), alert: row.kind }
    }])
    return alertView(row)
  })
}
