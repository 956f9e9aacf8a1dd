/** Shared set-up of the abuse tests: extra clients with chosen limits, decorated IDs, the alerts raised. */
import type { TestApp } from '../helpers/app.ts'
import { AUDITOR } from '../helpers/claims.ts'
import { register } from '../helpers/registry.ts'
import { DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { checkDigit } from '../../src/matchers/cn-resident-id.ts'

/** A client of the demo's questions and purpose with these quotas (the rest default). */
export async function addClient (
  t: TestApp,
  id: string,
  quotas: Record<string, number>,
  extra: Record<string, unknown> = {}
): Promise<void> {
  await register(t, {
    clients: [
      {
        id,
        organisation: 'org-' + id,
        questions: ['property.holds', 'identity.name_matches', 'tax.paid_in_year'],
        purposes: [DEMO_PURPOSE],
        quotas,
        ...extra
      }
    ]
  })
}

/** Full-width digits and a lower-case x: the same ID, written as a person might type it. */
export function decorate (id: string): string {
  return [...id].map((c) => c === 'X' ? 'x' : String.fromCharCode(c.charCodeAt(0) - 0x30 + 0xff10)).join('')
}

/** Another valid ID with the same 14-digit prefix (region and birth date) and sequence `seq`. */
export function samePrefix (id: string, seq: number): string {
  const first17 = id.slice(0, 14) + String(seq).padStart(3, '0')
  return first17 + checkDigit(first17)
}

export interface RaisedAlert {
  kind: string
  client: string | null
  organisation: string | null
  detail: Record<string, unknown>
  suspended: boolean
}

/** The alerts raised so far (once the detectors have judged everything sent), as an auditor reads them. */
export async function alertsOf (
  t: TestApp,
  kind?: string,
  of: { client?: string, organisation?: string } = {}
): Promise<RaisedAlert[]> {
  await t.app.admission.drain()
  const res = await t.as(AUDITOR)('GET', '/v1/audit/alerts' + (kind === undefined ? '' : '?kind=' + kind))
  if (res.statusCode !== 200) throw new Error(res.body)
  return (res.json().alerts as RaisedAlert[]).filter(
    (a) =>
      (of.client === undefined || a.client === of.client) &&
      (of.organisation === undefined || a.organisation === of.organisation)
  )
}
