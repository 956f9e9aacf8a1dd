/** Shared set-up of the abuse tests: the demo, extra clients with chosen limits, decorated IDs. */
import { ADMIN, type TestApp } from '../helpers/app.ts'
import { DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { checkDigit } from '../../src/matchers/cn-resident-id.ts'

export async function addClient (t: TestApp, id: string, quotas: Record<string, number>, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await t.as(ADMIN)('POST', '/v1/clients', {
    id, name: id, organisation: 'org-' + id, questions: ['property.holds', 'identity.name_matches', 'tax.paid_in_year'], purposes: [DEMO_PURPOSE], quotas, ...extra
  })
  if (res.statusCode !== 201) throw new Error('client not created: ' + res.body)
}

export function ask (idNumber: string, caseId: string, name?: string): Record<string, unknown> {
  return {
    subject: name === undefined ? { idNumber } : { idNumber, name },
    questions: [name === undefined ? { id: 'property.holds' } : { id: 'identity.name_matches' }],
    purpose: DEMO_PURPOSE,
    caseId
  }
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

export async function alertsOf (t: TestApp, kind?: string): Promise<Array<{ kind: string, client: string | null, detail: Record<string, unknown>, suspended: boolean }>> {
  await t.app.admission.drain()
  const res = await t.as({ sub: 'aud-1', role: 'auditor' })('GET', '/v1/audit/alerts' + (kind === undefined ? '' : '?kind=' + kind))
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json().alerts
}
