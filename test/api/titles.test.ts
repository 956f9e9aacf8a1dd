/**
 * Titles in two languages (design §14.4): purposes registered by admins and read by every role,
 * questions and connectors carrying {zh, en}; every change audited; a bad title refused.
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'

t.test('purposes and titles', async (t) => {
  const { database, keyring, as } = await build(t)
  await loadDemo(database, keyring, 5)
  const admin = as(ADMIN)

  const created = await admin('POST', '/v1/purposes', {
    id: 'school-place', titles: { zh: '义务教育学位申请', en: 'School place application' }
  })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { id: 'school-place', titles: { zh: '义务教育学位申请' } })
  t.equal((await admin('POST', '/v1/purposes', { id: 'school-place', titles: { zh: 'x' } })).json().code, 'CONFLICT')
  t.equal((await admin('POST', '/v1/purposes', { id: 'x', titles: {} })).statusCode, 400, 'no title at all')
  t.equal((await admin('POST', '/v1/purposes', { id: 'x', titles: { fr: 'x' } })).json().code, 'UNKNOWN_FIELD')
  t.equal((await admin('POST', '/v1/purposes', { id: 'x', titles: { zh: '  ' } })).json().code, 'INVALID_DEFINITION')
  t.equal((await as(CALLER)('POST', '/v1/purposes', { id: 'y', titles: { zh: 'y' } })).statusCode, 403)

  const list = await as(AUDITOR)('GET', '/v1/purposes')
  t.equal(list.statusCode, 200)
  t.same(list.json().purposes.map((p: { id: string }) => p.id),
    ['housing-subsidy', 'public-rental-flat', 'school-place'])
  t.match(list.json().purposes[0], { titles: { zh: '住房补贴申请', en: 'Housing subsidy application' } })

  const put = await admin('PUT', '/v1/purposes/school-place', { titles: { zh: '学位申请', en: 'School place' } })
  t.equal(put.statusCode, 200, put.body)
  t.equal((await admin('PUT', '/v1/purposes/none', { titles: { zh: 'x' } })).json().code, 'NOT_FOUND')
  const [audited] = await database.query<{ n: number }>(
    `select count(*)::int as n from audit_entries
      where kind = 'change' and convert_from(entry, 'UTF8')::jsonb->'detail'->>'resource' = 'purpose'`)
  t.equal(audited!.n, 4, 'each purpose registered or retitled is an audit entry (the demo\'s two among them)')

  const questions = (await as(CALLER)('GET', '/v1/questions')).json()
    .questions as Array<{ id: string, titles: unknown }>
  t.same(questions.find((q) => q.id === 'property.none')!.titles,
    { zh: '名下无登记的不动产', en: 'Holds no registered property' })
  const connector = (await admin('GET', '/v1/connectors/realestate')).json()
  t.same(connector.titles, { zh: '不动产登记', en: 'Registered real estate' })
  const retitled = await admin('PUT', '/v1/questions/property.holds', {
    connector: 'realestate', title: 'Holds property', titles: { zh: '有房' }, when: { any: {} }
  })
  t.equal(retitled.statusCode, 200, retitled.body)
  t.same((await admin('GET', '/v1/questions/property.holds')).json().titles, { zh: '有房' })
})
