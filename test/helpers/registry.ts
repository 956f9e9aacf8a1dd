/**
 * Registration through the API, as an admin: departments, connectors, questions and clients, each
 * of which must be created (201) or the fixture throws with the service's answer.
 */
import type { TestApp } from './app.ts'
import { ADMIN } from './claims.ts'

export interface Registration {
  departments?: Array<{ id: string, name: string }>
  connectors?: Array<Record<string, unknown>>
  questions?: Array<Record<string, unknown>>
  clients?: Array<Record<string, unknown>>
}

/** Quotas no test that is not about limits reaches. */
export const UNLIMITED = {
  requestsPerMinute: 10_000_000,
  subjectsPerDay: 10_000_000,
  subjectsPerCase: 10_000_000,
  namesPerSubjectPerDay: 10_000_000
}

/** Throws unless the response has this status (set-up steps: a failure there is not what a test checks). */
export function expectStatus (res: { statusCode: number, body: string }, status: number): void {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}

/** A file connector keyed by a resident ID in the column id_number. */
export function fileConnector (
  id: string,
  department: string,
  fields: Array<{ name: string, type: string }>,
  extra: Record<string, unknown> = {}
): Record<string, unknown> {
  return {
    id,
    department,
    title: 'Connector ' + id,
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields,
    ...extra
  }
}

/** Registers departments, then connectors, then questions, then clients (a client's name defaults to its id). */
export async function register (app: TestApp, r: Registration): Promise<void> {
  const admin = app.as(ADMIN)
  for (const body of r.departments ?? []) expectStatus(await admin('POST', '/v1/departments', body), 201)
  for (const body of r.connectors ?? []) expectStatus(await admin('POST', '/v1/connectors', body), 201)
  for (const body of r.questions ?? []) expectStatus(await admin('POST', '/v1/questions', body), 201)
  for (const body of r.clients ?? []) expectStatus(await admin('POST', '/v1/clients', { name: body.id, ...body }), 201)
}
