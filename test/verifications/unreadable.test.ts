/**
 * ISSUE 15 PART 4 — "No answer from an unreadable record", end to end (design §14.1).
 *
 * The load side (src/connectors: marker rows for the subjects behind rejected rows, counted per
 * snapshot) is built on branch `data`; the refusal — 409 SUBJECT_DATA_UNREADABLE, audited, the
 * whole request refused — is wired minimally in src/verifications/stages/read-records.ts, right
 * after the records are read, so that these tests pass; the lead owns the verification pipeline.
 *
 * The cases a department hits: one good and one bad row; the bad row fixed in the next snapshot; a
 * check-digit typo; a bad value in a column that is not the ID; rejects below and above
 * maxRejectRatio; property.none for a person behind a rejected row; a legacy 15-digit ID; both
 * ways records are read (the limiter's statement, and the lookups without limits).
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, testAppConfig } from '../helpers/app.ts'
import { buildApp } from '../../src/api/app.ts'
import { makePeople, type Person } from '../../src/demo/population.ts'
import { checkDigit } from '../../src/matchers/cn-resident-id.ts'
import { readRecords } from '../../src/connectors/records.ts'
import { ADMIT_ALL } from '../../src/abuse/admission.ts'
import { mintToken, type TokenClaims } from '../../src/tokens.ts'
import { TEST_SECRET, ISSUER } from '../helpers/app.ts'

const { app, database, keyring, as } = await build(t)
const admin = as(ADMIN)
const CALLER: TokenClaims = { sub: 'approvals', role: 'caller' }
const caller = as(CALLER)
const YESTERDAY = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
const CSV = { 'content-type': 'text/csv' }

async function ok (res: { statusCode: number, body: string }, status: number): Promise<void> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}

await ok(await admin('POST', '/v1/departments', { id: 'land', name: 'Land Bureau' }), 201)
await ok(await admin('POST', '/v1/departments', { id: 'tax', name: 'Tax Bureau' }), 201)
const PROPERTY_FIELDS = [
  { name: 'kind', type: 'string' }, { name: 'area', type: 'number' }, { name: 'registered', type: 'date' }
]
const SUBJECT = { field: 'id_number', type: 'cn_resident_id' }
for (const id of ['estate', 'estate2', 'estate3']) {
  await ok(await admin('POST', '/v1/connectors', {
    id, department: 'land', title: id, kind: 'file', subject: SUBJECT, fields: PROPERTY_FIELDS, maxRejectRatio: 0.2
  }), 201)
}
await ok(await admin('POST', '/v1/connectors', {
  id: 'tax', department: 'tax', title: 'tax', kind: 'file',
  subject: SUBJECT, fields: [{ name: 'year', type: 'integer' }]
}), 201)
const QUESTIONS = ['estate', 'estate2', 'estate3'].flatMap((c) => [
  { id: `${c}.none`, connector: c, title: '无房', when: { not: { any: {} } } },
  { id: `${c}.holds`, connector: c, title: '有房', when: { any: {} } },
  { id: `${c}.large`, connector: c, title: 'large', when: { any: { area: { gte: 100 } } } }
])
QUESTIONS.push({ id: 'tax.paid', connector: 'tax', title: 'paid', when: { any: {} } })
for (const q of QUESTIONS) await ok(await admin('POST', '/v1/questions', q), 201)
await ok(await admin('POST', '/v1/clients', {
  id: 'approvals',
  name: 'Approvals',
  questions: QUESTIONS.map((q) => q.id),
  purposes: ['subsidy'],
  quotas: { subjectsPerDay: 100000, requestsPerMinute: 100000 }
}), 201)

const people = makePeople(40, 1515)
type Seven = [Person, Person, Person, Person, Person, Person, Person, ...Person[]]
const [good, mixed, typoed, badValue, onlyBad, fixedLater, legacy, ...rest] = people as Seven
const row = (id: string, kind = 'residential', area = '88.5', registered = '2015/6/1'): string =>
  `${id},${kind},${area},${registered}\r\n`
const HEADER = 'id_number,kind,area,registered\r\n'
const wrongCheck = (id: string): string => id.slice(0, 17) + (checkDigit(id.slice(0, 17)) === '5' ? '6' : '5')

let cases = 0
async function ask (p: Person | string, ids: string[], client = caller): Promise<string> {
  const res = await client('POST', '/v1/verifications', {
    subject: { idNumber: typeof p === 'string' ? p : p.idNumber },
    questions: ids.map((id) => ({ id })),
    purpose: 'subsidy',
    caseId: 'c-' + ++cases
  })
  if (res.statusCode !== 200) return `${res.statusCode} ${String(res.json().code)}`
  return res.json().answers.map((a: { answer: string }) => a.answer).join(',')
}
const REFUSED = '409 SUBJECT_DATA_UNREADABLE'

// A snapshot with every case in it: 7 of 42 rows rejected (below the limit of 20%).
const legacy15 = legacy.idNumber.slice(0, 6) + legacy.idNumber.slice(8, 17)
const file = HEADER + [
  row(good.idNumber),
  row(mixed.idNumber, 'residential', '60'), // one good row…
  row(mixed.idNumber, 'commercial', 'abc'), // …and one bad: the person is unreadable, not "has a 60 m² flat"
  row(wrongCheck(typoed.idNumber)), // a typing error in the check character
  row(badValue.idNumber, 'residential', '120', '2015/2/30'), // a bad date, not in the ID column
  row(onlyBad.idNumber, 'residential', '1,5'), // the person's only row is bad: never "无房"
  row(fixedLater.idNumber, 'residential', '150', '2015年13月1日'),
  row(legacy15, 'residential', '70', 'soon'), // a 15-digit ID behind a bad row
  row('11010519491231'), // an ID that cannot be read: counted as unlinkable
  ...rest.map((p) => row(p.idNumber))
].join('')
await ok(await admin('PUT', `/v1/connectors/estate/snapshot?asOf=${YESTERDAY}`, file, CSV), 201)
const taxFile = 'id_number,year\r\n' + people.map((p) => `${p.idNumber},2025\r\n`).join('')
await ok(await admin('PUT', `/v1/connectors/tax/snapshot?asOf=${YESTERDAY}`, taxFile, CSV), 201)

t.test('the load counts unreadable subjects and unlinkable rows', async (t) => {
  const [s] = (await admin('GET', '/v1/connectors/estate/snapshots')).json().snapshots
  t.equal(s.rejectedCount, 7)
  t.equal(s.unreadableSubjects, 6, 'mixed, typoed, badValue, onlyBad, fixedLater, legacy')
  t.equal(s.unlinkableRows, 1)
  t.equal(s.subjects, rest.length + 2, 'subjects with a readable record: good, mixed and the rest')
  const raw = await database.query<{ n: number }>(
    `select count(*)::int as n from records where snapshot_id = $1 and attrs = 'null'::jsonb`, [s.id])
  t.equal(Number(raw[0]!.n), 6, 'one marker a rejected row whose subject can be read')
  const stored = await database.query(
    'select encode(subject_hash, \'hex\') as h, attrs from records where snapshot_id = $1', [s.id])
  const text = JSON.stringify(stored)
  for (const p of people) t.notOk(text.includes(p.idNumber), 'no raw ID is stored')
})

t.test('a person with one good and one bad row is refused, not answered from the good row', async (t) => {
  t.equal(await ask(mixed, ['estate.holds']), REFUSED)
  t.equal(await ask(mixed, ['estate.large']), REFUSED, 'not "no" from the one good row')
  t.equal(await ask(mixed, ['estate.none', 'tax.paid']), REFUSED, 'the whole request is refused, not answered in part')
  t.equal(await ask(mixed, ['tax.paid']), 'yes', 'a question over another connector is answered')
  t.equal(await ask(good, ['estate.holds', 'estate.none', 'tax.paid']), 'yes,no,yes', 'a readable person is answered')
})

t.test('property.none for a person behind a rejected row is 409, never yes', async (t) => {
  t.equal(await ask(onlyBad, ['estate.none']), REFUSED)
  t.equal(await ask(badValue, ['estate.none']), REFUSED, 'a bad value in a column that is not the ID')
  t.equal(await ask(fixedLater, ['estate.none']), REFUSED)
  const stranger17 = people[39]!.idNumber.slice(0, 6) + '19800101123'
  t.equal(await ask(stranger17 + checkDigit(stranger17), ['estate.none']), 'yes',
    'an ID no department knows is still an ordinary yes (pair such questions with an identity question)')
})

t.test('a check-digit typo: the person with the first 17 characters and the right check digit ' +
  'is refused', async (t) => {
  t.equal(await ask(typoed, ['estate.none']), REFUSED)
  t.equal((await ask(wrongCheck(typoed.idNumber), ['estate.none'])), '400 INVALID_ID_NUMBER',
    'the typo itself is not a valid ID to ask about')
})

t.test('a legacy 15-digit ID behind a bad row: its 18-digit form is refused', async (t) => {
  t.equal(await ask(legacy, ['estate.none']), REFUSED)
  t.equal(await ask(legacy15, ['estate.none']), REFUSED, 'asked as 15 digits too')
})

t.test('the refusal is audited, names the question, and says nothing about the record', async (t) => {
  const res = await caller('POST', '/v1/verifications', {
    subject: { idNumber: onlyBad.idNumber }, questions: [{ id: 'estate.none' }], purpose: 'subsidy', caseId: 'audit-1'
  })
  t.equal(res.statusCode, 409)
  t.notMatch(res.body, /1,5|residential|line/, 'neither the value nor where it was')
  const entries = (await as(AUDITOR)('GET', '/v1/audit/entries?caseId=audit-1')).json().entries
  t.equal(entries.length, 1)
  t.match(entries[0], {
    kind: 'refusal', code: 'SUBJECT_DATA_UNREADABLE', question: 'estate.none', caller: 'approvals', caseId: 'audit-1'
  })
  t.notOk('answer' in entries[0] && entries[0].answer !== null, 'no answer is recorded')
})

t.test('the same rows fixed in the next snapshot are answered', async (t) => {
  const fixed = HEADER + [
    row(good.idNumber),
    row(mixed.idNumber, 'residential', '60'),
    row(mixed.idNumber, 'commercial', '140'),
    row(typoed.idNumber),
    row(badValue.idNumber, 'residential', '120', '2015/2/28'),
    row(fixedLater.idNumber, 'residential', '150', '2015年12月1日'),
    row(legacy15, 'residential', '70', '2001-01-01'), ...rest.map((p) => row(p.idNumber))
  ].join('')
  await ok(await admin('PUT', `/v1/connectors/estate/snapshot?asOf=${YESTERDAY}`, fixed, CSV), 201)
  app.registry.invalidate()
  t.equal(await ask(mixed, ['estate.holds', 'estate.large']), 'yes,yes')
  t.equal(await ask(typoed, ['estate.none']), 'no')
  t.equal(await ask(badValue, ['estate.large']), 'yes')
  t.equal(await ask(fixedLater, ['estate.none', 'estate.large']), 'no,yes')
  t.equal(await ask(legacy, ['estate.holds']), 'yes')
  t.equal(await ask(onlyBad, ['estate.none']), 'yes', 'left out of the new file: an ordinary unknown subject')
})

t.test('rejects above maxRejectRatio: the load fails, the active snapshot and its markers stay', async (t) => {
  // estate2: a first snapshot with a bad row for `mixed`; then a file with too many bad rows.
  const withBad = HEADER + row(good.idNumber) + row(mixed.idNumber, 'x', 'bad') +
    rest.map((p) => row(p.idNumber)).join('')
  await ok(await admin('PUT', `/v1/connectors/estate2/snapshot?asOf=${YESTERDAY}`, withBad, CSV), 201)
  const tooMany = HEADER + [
    row(mixed.idNumber), ...rest.map((p, i) => row(p.idNumber, 'residential', i % 3 === 0 ? 'n/a' : '50'))
  ].join('')
  const res = await admin('PUT', `/v1/connectors/estate2/snapshot?asOf=${YESTERDAY}`, tooMany, CSV)
  t.equal(res.statusCode, 422)
  t.equal(await ask(mixed, ['estate2.none']), REFUSED, 'the snapshot still active still refuses')
  t.equal(await ask(rest[0]!, ['estate2.holds']), 'yes', 'and answers the rest from the data it holds')
})

t.test('rejects below maxRejectRatio: the load completes and only the people behind them are refused', async (t) => {
  const oneBad = HEADER + row(good.idNumber, 'r', '-') + rest.map((p) => row(p.idNumber)).join('')
  await ok(await admin('PUT', `/v1/connectors/estate3/snapshot?asOf=${YESTERDAY}`, oneBad, CSV), 201)
  t.equal(await ask(good, ['estate3.none']), REFUSED)
  let answered = 0
  for (const p of rest) if (await ask(p, ['estate3.holds']) === 'yes') answered++
  t.equal(answered, rest.length, 'every other person is answered')
})

t.test('the records reader carries the marker, and so does a service that admits every request', async (t) => {
  const [active] = await database.query<{ id: number }>('select active_snapshot_id as id from connectors where id = $1',
    ['estate3'])
  const snap = Number(active!.id)
  const hash = (p: Person): Uint8Array => keyring.connector('estate3', 1).subjectHash(p.idNumber)
  const both = [{ snapshotId: snap, subjectHash: hash(good) }, { snapshotId: snap, subjectHash: hash(rest[0]!) }]
  const found = await readRecords(database, both)
  t.same(found.map((f) => f.unreadable), [true, false])
  t.same(found[0]!.records, [], 'the marker is never a record')
  t.equal(found[1]!.records.length, 1)
  // A bound below the subject's rows: refused as unreadable too, never answered from part of them.
  const capped = await readRecords(database, both.map((l) => ({ ...l, max: 0 })))
  t.same(capped.map((f) => f.unreadable), [true, true], 'past maxRecordsPerSubject the subject is unreadable')

  // The same refusal in a service whose admission counts nothing.
  const plain = await buildApp({ config: testAppConfig(), database, keyring, logger: false, admission: ADMIT_ALL })
  await plain.ready()
  t.teardown(async () => { await plain.close() })
  const res = await plain.inject({
    method: 'POST',
    url: '/v1/verifications',
    headers: {
      authorization: 'Bearer ' + mintToken(TEST_SECRET, ISSUER, CALLER, 600),
      'content-type': 'application/json'
    },
    payload: JSON.stringify({
      subject: { idNumber: good.idNumber }, questions: [{ id: 'estate3.none' }], purpose: 'subsidy', caseId: 'plain-1'
    })
  })
  t.equal(res.statusCode, 409, res.body)
  t.equal(res.json().code, 'SUBJECT_DATA_UNREADABLE')
})
