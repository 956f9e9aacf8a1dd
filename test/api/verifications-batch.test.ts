/**
 * POST /v1/verifications/batch (design §14.6): a household in one call. Each item is answered or
 * refused on its own — its own verification id, audit entries, receipts and quota count — and a
 * refused item never blocks the others; a body that breaks the schema is refused whole.
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { fileConnector, register, UNLIMITED } from '../helpers/registry.ts'
import { callerOf } from '../helpers/claims.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE, DEMO_QUESTIONS } from '../../src/demo/demo.ts'
import { decodeBase64url } from '../../src/crypto/base64url.ts'

const test = await build(t)
const { database, keyring, as } = test
const { people } = await loadDemo(database, keyring, 60)
const lifted = await as(ADMIN)('PUT', '/v1/clients/' + DEMO_CLIENT + '/quotas', { quotas: UNLIMITED })
if (lifted.statusCode !== 200) throw new Error(lifted.body)
const URL = '/v1/verifications/batch'

const entriesOf = async (caseId: string): Promise<Array<Record<string, unknown>>> =>
  (await as(AUDITOR)('GET', '/v1/audit/entries?limit=1000&caseId=' + encodeURIComponent(caseId))).json().entries
const itemOf = (p: { idNumber: string }): Record<string, unknown> =>
  ({ subject: { idNumber: p.idNumber }, questions: [{ id: 'property.holds' }] })
const claimsOf = (receipt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(decodeBase64url(receipt.split('.')[1]!)!).toString('utf8'))

t.test('a household of five: each person answered as a verification of its own', async (t) => {
  const household = people.slice(0, 5)
  const caseId = '穗住保〔2026〕0007号'
  const res = await as(CALLER)('POST', URL, {
    purpose: DEMO_PURPOSE,
    caseId,
    items: household.map((p) => ({
      subject: { idNumber: p.idNumber, name: p.name },
      questions: [{ id: 'identity.name_matches' }, { id: 'property.holds' }]
    }))
  })
  t.equal(res.statusCode, 200, res.body)
  const { results } = res.json()
  t.equal(results.length, 5)
  t.equal(new Set(results.map((r: { id: string }) => r.id)).size, 5, 'five verification ids')
  for (const r of results) {
    t.same(r.answers.map((a: { question: string }) => a.question), ['identity.name_matches', 'property.holds'])
    t.equal(r.answers[0].answer, 'yes', 'each name matches its own ID')
    const claims = claimsOf(r.answers[1].receipt)
    t.match(claims, { vid: r.id, case: caseId, q: 'property.holds', idx: r.answers[1].auditIndex })
  }
  const entries = await entriesOf(caseId)
  t.equal(entries.length, 10, 'two answer entries per person')
  t.same(new Set(entries.map((e) => e.verification)), new Set(results.map((r: { id: string }) => r.id)))
})

t.test('refused items stand alone; the others are answered', async (t) => {
  const [a, b, c, d, e] = people.slice(5, 10)
  const badCheck = b!.idNumber.slice(0, 17) + (b!.idNumber[17] === '0' ? '1' : '0')
  const caseId = 'MIXED-1'
  const res = await as(CALLER)('POST', URL, {
    purpose: DEMO_PURPOSE,
    caseId,
    items: [
      { subject: { idNumber: a!.idNumber }, questions: [{ id: 'property.holds' }] },
      { subject: { idNumber: badCheck }, questions: [{ id: 'property.holds' }] },
      { subject: { idNumber: c!.idNumber }, questions: [{ id: 'property.hold' }] },
      { subject: { idNumber: d!.idNumber }, questions: [{ id: 'identity.name_matches' }] },
      { subject: { idNumber: e!.idNumber }, questions: [{ id: 'property.none' }] }
    ]
  })
  t.equal(res.statusCode, 200, res.body)
  const { results } = res.json()
  t.ok(results[0].id, 'item 0 answered')
  t.match(results[1], { error: { status: 400, code: 'INVALID_ID_NUMBER' } })
  t.match(results[2], {
    error: { status: 403, code: 'QUESTION_NOT_ALLOWED', questions: [{ suggestions: ['property.holds'] }] }
  })
  t.match(results[3], { error: { status: 400, code: 'SUBJECT_NAME_REQUIRED' } })
  t.ok(results[4].id, 'item 4 answered')
  t.notOk(res.body.includes(badCheck), 'the bad ID number is not echoed')
  const entries = await entriesOf(caseId)
  t.same(entries.map((x) => [x.kind, x.code ?? null]).sort(),
    [['answer', null], ['answer', null], ['refusal', 'QUESTION_NOT_ALLOWED']].sort(),
    'two answers and the 403 refusal are entries; the 400s are not')
})

t.test('each item is counted by the limits: the case limit refuses the items beyond it', async (t) => {
  await register(test, {
    clients: [{
      id: 'family-office',
      questions: DEMO_QUESTIONS.map((q) => q.id),
      purposes: [DEMO_PURPOSE],
      quotas: { ...UNLIMITED, subjectsPerCase: 3 }
    }]
  })
  const res = await as(callerOf('family-office'))('POST', URL, {
    purpose: DEMO_PURPOSE,
    caseId: 'LIMITED-1',
    items: people.slice(10, 15).map(itemOf)
  })
  t.equal(res.statusCode, 200, res.body)
  const { results } = res.json()
  const answered = results.filter((r: { id?: string }) => r.id !== undefined)
  const refused = results.filter((r: { error?: { code: string } }) => r.error?.code === 'QUOTA_EXCEEDED')
  t.equal(answered.length, 3, 'three people answered')
  t.equal(refused.length, 2, 'two refused by subjectsPerCase')
  t.match(refused[0].error, { limit: 'subjectsPerCase', status: 429 })
  const entries = await entriesOf('LIMITED-1')
  t.equal(entries.filter((e) => e.kind === 'refusal' && e.code === 'QUOTA_EXCEEDED').length, 2, 'each refusal audited')
  const me = (await as(callerOf('family-office'))('GET', '/v1/clients/me')).json()
  t.equal(me.usage.subjectsToday, 3, 'the limits counted the three answered people')
})

t.test('purpose and client refusals refuse each item, each audited', async (t) => {
  const res = await as(CALLER)('POST', URL, {
    purpose: 'marriage',
    caseId: 'PURPOSE-1',
    items: people.slice(15, 17).map(itemOf)
  })
  t.equal(res.statusCode, 200)
  for (const r of res.json().results) t.match(r.error, { code: 'PURPOSE_NOT_ALLOWED', purposes: [DEMO_PURPOSE] })
  t.equal((await entriesOf('PURPOSE-1')).length, 2)
})

t.test('a connector that cannot be read refuses only the items that ask it', async (t) => {
  await register(test, {
    departments: [{ id: 'estate', name: 'Estate office' }],
    connectors: [fileConnector('homes', 'estate', [{ name: 'city', type: 'string' }])],
    questions: [{ id: 'homes.none', connector: 'homes', title: 'No home', when: { not: { any: {} } } }]
  })
  const [a, b] = people.slice(30, 32)
  const load = await as(ADMIN)('PUT', '/v1/connectors/homes/snapshot?asOf=2026-01-02',
    `id_number,city\n${b!.idNumber},Guangzhou\n`, { 'content-type': 'text/csv' })
  t.equal(load.statusCode, 201, load.body)
  await as(ADMIN)('PUT', '/v1/clients/' + DEMO_CLIENT, {
    name: DEMO_CLIENT, questions: [...DEMO_QUESTIONS.map((q) => q.id), 'homes.none'], purposes: [DEMO_PURPOSE]
  })
  await database.query(`update connectors set kind = 'carrier-pigeon' where id = 'homes'`)
  test.app.registry.invalidate()
  const res = await as(CALLER)('POST', URL, {
    purpose: DEMO_PURPOSE,
    caseId: 'BROKEN-1',
    items: [itemOf(a!), { subject: { idNumber: b!.idNumber }, questions: [{ id: 'homes.none' }] }]
  })
  t.equal(res.statusCode, 200, res.body)
  const { results } = res.json()
  t.ok(results[0].id, 'the item on a readable connector is answered')
  t.match(results[1], { error: { status: 503, code: 'CONNECTOR_UNAVAILABLE' } })
  const entries = await entriesOf('BROKEN-1')
  t.match(entries.find((e) => e.kind === 'refusal'), { code: 'CONNECTOR_UNAVAILABLE', question: null },
    'the refusal is audited with the verification\'s case')
})

t.test('a body that breaks the schema is refused whole, nothing asked', async (t) => {
  const item = { subject: { idNumber: people[20]!.idNumber }, questions: [{ id: 'property.holds' }] }
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['51 items', { purpose: DEMO_PURPOSE, caseId: 'S-1', items: Array.from({ length: 51 }, () => item) },
      'INVALID_BODY', '/items'],
    ['no items', { purpose: DEMO_PURPOSE, caseId: 'S-1', items: [] }, 'INVALID_BODY', '/items'],
    ['an unknown field in an item', { purpose: DEMO_PURPOSE, caseId: 'S-1', items: [item, { ...item, purpose: 'x' }] },
      'UNKNOWN_FIELD', '/items/1/purpose'],
    ['a caseId per item', { purpose: DEMO_PURPOSE, items: [item] }, 'INVALID_BODY', '/caseId']
  ]
  for (const [what, body, code, field] of cases) {
    const res = await as(CALLER)('POST', URL, body)
    t.equal(res.statusCode, 400, what)
    t.match(res.json(), { code, field }, what)
  }
  t.equal((await entriesOf('S-1')).length, 0, 'nothing was asked')
})

t.test('only callers may ask', async (t) => {
  const res = await as(AUDITOR)('POST', URL, {
    purpose: DEMO_PURPOSE, caseId: 'R-1', items: [itemOf(people[0]!)]
  })
  t.equal(res.statusCode, 403)
})
