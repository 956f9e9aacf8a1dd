/**
 * Red-team finding: year-0000 instants gave 500 (PostgreSQL has no year 0). Where the API takes an
 * instant or a date, it accepts years 0001–9999 and days that exist, and refuses the rest with a 400
 * naming the parameter (design §14.5).
 */
import t from 'tap'
import { build, ADMIN, AUDITOR } from '../helpers/app.ts'
import { isCalendarDate, parseInstant } from '../../src/instant.ts'

t.test('parseInstant: RFC 3339, a day that exists, years 0001-9999 in UTC', async (t) => {
  t.equal(parseInstant('from', '2026-01-31T08:00:00+08:00'), '2026-01-31T00:00:00.000Z')
  t.equal(parseInstant('from', '0001-01-01T00:00:00Z'), '0001-01-01T00:00:00.000Z')
  t.equal(parseInstant('from', '9999-12-31T23:59:59.999Z'), '9999-12-31T23:59:59.999Z')
  t.equal(parseInstant('from', '2024-02-29T00:00:00Z'), '2024-02-29T00:00:00.000Z')
  for (const bad of [
    '0000-01-01T00:00:00Z', '2025-02-29T00:00:00Z', '2025-02-30T00:00:00Z', '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z', '2025-01-01T24:00:00Z', '2025-01-01T23:60:00Z', '2025-01-01T23:59:60Z',
    '0001-01-01T00:00:00+01:00', '9999-12-31T23:00:00-05:00', '+010000-01-01T00:00:00Z', '2025-01-01',
    '2025-01-01T00:00:00', '2025-01-01T00:00:00+24:00', '1e20', ''
  ]) {
    t.throws(() => parseInstant('from', bad), { code: 'INVALID_QUERY', detail: /^from must be/ }, bad)
  }
  t.ok(isCalendarDate(2000, 2, 29))
  t.notOk(isCalendarDate(1900, 2, 29))
  t.notOk(isCalendarDate(0, 1, 1))
  t.notOk(isCalendarDate(10000, 1, 1))
})

t.test('year-0000 instants give 500: every route that takes one refuses it with a 400', async (t) => {
  const { as } = await build(t)
  const auditor = as(AUDITOR)
  const admin = as(ADMIN)
  t.equal((await admin('POST', '/v1/departments', { id: 'civil', name: 'Civil affairs' })).statusCode, 201)
  const connector = {
    id: 'births',
    department: 'civil',
    title: 'Births',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields: [{ name: 'score', type: 'integer' }]
  }
  t.equal((await admin('POST', '/v1/connectors', connector)).statusCode, 201)
  const instants = ['0000-01-01T00:00:00Z', '2025-02-30T00:00:00Z', '9999-12-31T23:00:00-05:00']
  const routes = [
    (v: string) => `/v1/audit/entries?from=${encodeURIComponent(v)}`,
    (v: string) => `/v1/audit/entries?to=${encodeURIComponent(v)}`,
    (v: string) => `/v1/audit/export?format=jsonl&from=${encodeURIComponent(v)}`,
    (v: string) => `/v1/audit/export?format=csv&to=${encodeURIComponent(v)}`,
    (v: string) => `/v1/audit/alerts?since=${encodeURIComponent(v)}`
  ]
  for (const url of routes) {
    for (const v of instants) {
      const res = await auditor('GET', url(v))
      t.equal(res.statusCode, 400, `${url(v)}: ${res.body.slice(0, 200)}`)
      t.equal(res.json().code, 'INVALID_QUERY', url(v))
    }
    // The edges of the range are accepted.
    for (const v of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
      t.equal((await auditor('GET', url(v))).statusCode, 200, url(v))
    }
  }
  for (const asOf of ['0000-01-01', '2025-02-30']) {
    const res = await admin('PUT', `/v1/connectors/births/snapshot?asOf=${asOf}`, 'id_number,score\n',
      { 'content-type': 'text/csv' })
    t.equal(res.statusCode, 400, `asOf ${asOf}: ${res.body.slice(0, 200)}`)
    t.equal(res.json().code, 'INVALID_QUERY', `asOf ${asOf}`)
  }
})
