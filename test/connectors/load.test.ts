/**
 * Snapshot loads through the HTTP API (design §3 "Minimal attributes", §5 PUT
 * /v1/connectors/:id/snapshot and "Snapshot bodies", §7, §8): formats, validation of the query and
 * the body, rejected rows, reject ratio, missing and extra columns, keyed hashing of names and
 * hashed fields, concurrent loads, department scoping, the audit entries of loads, history and
 * decorated identity numbers.
 *
 * One application and database for the whole file (PGlite takes seconds to start); every subtest
 * uses connectors of its own.
 */
import t, { type Test } from 'tap'
import { PassThrough } from 'node:stream'
import { build, ADMIN, AUDITOR } from '../helpers/app.ts'
import { makeId, makePeople, prng, type Person } from '../../src/demo/population.ts'
import { checkDigit, normaliseIdNumber, todayCst } from '../../src/matchers/cn-resident-id.ts'
import { normaliseName } from '../../src/matchers/cn-name.ts'
import type { TokenClaims } from '../../src/tokens.ts'
import { callerOf, stewardOf } from '../helpers/claims.ts'
import { fileConnector, register, UNLIMITED } from '../helpers/registry.ts'
import type { Asked } from '../helpers/verifications.ts'

const load = await build(t)
const { app, database, keyring, token, as, verified } = load
const admin = as(ADMIN)
const CLIENT = callerOf('load-tests')
const PURPOSE = 'load-testing'

/** A calendar date in China Standard Time, `offset` days from today. */
const cstDay = (offset: number): string =>
  new Date(Date.now() + 8 * 3600_000 + offset * 86400_000).toISOString().slice(0, 10)
const YESTERDAY = cstDay(-1)
const CSV = { 'content-type': 'text/csv' }
const NDJSON = { 'content-type': 'application/x-ndjson' }
const HEX64 = /^[0-9a-f]{64}$/

// ---- registry ----------------------------------------------------------------------------------

await register(load, { departments: [{ id: 'civil', name: 'Civil Affairs' }, { id: 'other', name: 'Other Bureau' }] })
const CIVIL_ADMIN = stewardOf('civil')
const OTHER_ADMIN = stewardOf('other')

const PEOPLE_FIELDS = [
  { name: 'name', type: 'name' },
  { name: 'age', type: 'integer' },
  { name: 'score', type: 'number' },
  { name: 'born', type: 'date' },
  { name: 'member', type: 'boolean' },
  { name: 'code', type: 'hashed' },
  { name: 'note', type: 'string' }
]
const DECLARED = PEOPLE_FIELDS.map((f) => f.name)

async function connector (id: string, fields = PEOPLE_FIELDS, extra: Record<string, unknown> = {}): Promise<void> {
  await register(load, { connectors: [fileConnector(id, 'civil', fields, extra)] })
}

/** The questions asked of every "people" connector, with the params they are asked with. */
const PEOPLE_QUESTIONS: Array<{
  suffix: string
  params?: Record<string, string>
  ask?: Record<string, unknown>
  when: unknown
}> = [
  { suffix: 'has', when: { any: {} } },
  { suffix: 'name', when: { any: { name: { eq: { subject: 'name' } } } } },
  {
    suffix: 'age_min',
    params: { min: 'integer' },
    ask: { min: 30 },
    when: { any: { age: { gte: { param: 'min' } } } }
  },
  { suffix: 'age_null', when: { any: { age: { eq: null } } } },
  {
    suffix: 'score_gt',
    params: { min: 'number' },
    ask: { min: 40 },
    when: { any: { score: { gt: { param: 'min' } } } }
  },
  {
    suffix: 'born_before',
    params: { date: 'date' },
    ask: { date: '1980-01-01' },
    when: { any: { born: { lt: { param: 'date' } } } }
  },
  { suffix: 'member', when: { any: { member: { eq: true } } } },
  {
    suffix: 'code',
    params: { code: 'string' },
    ask: { code: 'K-0' },
    when: { any: { code: { eq: { param: 'code' } } } }
  },
  {
    suffix: 'note',
    params: { note: 'string' },
    ask: { note: 'note, 7' },
    when: { any: { note: { eq: { param: 'note' } } } }
  }
]

const ALL_CONNECTORS = [
  'people',
  'rejects',
  'rejects-nd',
  'quoting',
  'many',
  'ratio',
  'columns',
  'extra',
  'busy',
  'stale',
  'scoped',
  'audited',
  'history',
  'deco'
]
for (const id of ALL_CONNECTORS) {
  await connector(
    id,
    PEOPLE_FIELDS,
    id === 'rejects' || id === 'rejects-nd' ? { maxRejectRatio: 0.5 } : id === 'many' ? { maxRejectRatio: 1 } : {}
  )
}
const questions = ALL_CONNECTORS.flatMap((c) =>
  PEOPLE_QUESTIONS.map((q) => ({
    id: c + '.' + q.suffix,
    connector: c,
    title: q.suffix,
    ...(q.params === undefined ? {} : { params: q.params }),
    when: q.when
  }))
)
await register(load, {
  questions,
  clients: [
    {
      id: CLIENT.sub,
      name: 'Load tests',
      questions: questions.map((q) => q.id),
      purposes: [PURPOSE],
      quotas: UNLIMITED
    }
  ]
})

// ---- data --------------------------------------------------------------------------------------

interface Row {
  id: string
  name: string | null
  age: number | null
  score: number | null
  born: string | null
  member: boolean | null
  code: string | null
  note: string | null
}

function rowsOf (people: readonly Person[]): Row[] {
  return people.map((p, i) => ({
    id: p.idNumber,
    name: p.name,
    age: i % 7 === 3 ? null : 18 + i,
    score: i % 5 === 4 ? null : i * 2.5,
    born: `19${60 + (i % 40)}-0${1 + (i % 9)}-1${i % 9}`,
    member: i % 3 === 0 ? null : i % 2 === 0,
    code: 'K-' + (i % 4),
    note: 'note, ' + i
  }))
}

const cell = (v: string | number | boolean | null): string => {
  if (v === null) return ''
  const s = String(v)
  return /[",\n\r]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s
}
const CSV_HEADER = 'id_number,' + DECLARED.join(',') + '\n'
/** A CSV line of a row; `raw` replaces cells with text as sent (to write values no Row can hold). */
const csvLine = (r: Row, raw: Partial<Record<keyof Row, string>> = {}): string =>
  (['id', ...DECLARED] as Array<keyof Row>).map((k) => raw[k] ?? cell(r[k])).join(',') + '\n'
const toCsv = (rows: readonly Row[]): string => CSV_HEADER + rows.map((r) => csvLine(r)).join('')
const ndLine = (r: Row): string =>
  JSON.stringify({
    id_number: r.id,
    name: r.name,
    age: r.age,
    score: r.score,
    born: r.born,
    member: r.member,
    code: r.code,
    note: r.note
  }) + '\n'

/** The answers the questions above must give for a row (in PEOPLE_QUESTIONS order). */
function expected (r: Row | undefined): string[] {
  if (r === undefined) return PEOPLE_QUESTIONS.map(() => 'no')
  const yn = (b: boolean): string => b ? 'yes' : 'no'
  return [
    'yes',
    'yes',
    yn(r.age !== null && r.age >= 30),
    yn(r.age === null),
    yn(r.score !== null && r.score > 40),
    yn(r.born !== null && r.born < '1980-01-01'),
    yn(r.member === true),
    yn(r.code === 'K-0'),
    yn(r.note === 'note, 7')
  ]
}

let cases = 0
/** Every question of connector `c` about one subject (with a name: the name question needs one). */
const everyQuestion = (c: string): Asked[] =>
  PEOPLE_QUESTIONS.map((q) => ({ id: c + '.' + q.suffix, ...(q.ask === undefined ? {} : { params: q.ask }) }))

/** The answers to every question of connector `c` about one subject. */
async function answersOf (c: string, idNumber: string, name: string): Promise<string[]> {
  const { answers } = await verified(CLIENT, {
    idNumber,
    name,
    questions: everyQuestion(c),
    purpose: PURPOSE,
    caseId: 'case-' + ++cases
  })
  return answers.map((a) => a.answer)
}

/** A question about a subject behind a rejected row is refused (409), never answered from what is left. */
async function refused (c: string, idNumber: string, name: string): Promise<string> {
  const res = await as(CLIENT)('POST', '/v1/verifications', {
    subject: { idNumber, name },
    questions: everyQuestion(c),
    purpose: PURPOSE,
    caseId: 'case-' + ++cases
  })
  return res.statusCode + ' ' + String(res.json().code)
}

/** Rejected rows without their reasons (checked apart: every one has a reason). */
type Listed = { line: number, field: string, code: string }
function withoutReasons (t: Test, rejected: Array<Listed & { reason?: string }>): Listed[] {
  t.ok(rejected.every((r) => typeof r.reason === 'string' && r.reason.length > 10), 'every rejected row says why')
  return rejected.map(({ line, field, code }) => ({ line, field, code }))
}

async function askAll (c: string, subjects: readonly Person[]): Promise<string[][]> {
  const out: string[][] = []
  for (const p of subjects) out.push(await answersOf(c, p.idNumber, p.name))
  return out
}

const put = async (
  claims: TokenClaims,
  c: string,
  body: string,
  headers: Record<string, string>,
  asOf = YESTERDAY
): Promise<ReturnType<typeof admin>> =>
  await as(claims)('PUT', `/v1/connectors/${c}/snapshot?asOf=${asOf}`, body, headers)

async function recordTables (): Promise<number> {
  const [row] = await database.query<{ n: number }>(
    `select count(*)::int as n from pg_tables where tablename like 'records_s%'`
  )
  return Number(row!.n)
}

async function tableExists (snapshotId: number): Promise<boolean> {
  const rows = await database.query('select 1 from pg_tables where tablename = $1', ['records_s' + snapshotId])
  return rows.length > 0
}

async function snapshotRows (c: string): Promise<Array<{ id: number, status: string, error: string | null }>> {
  const rows = await database.query<{ id: number, status: string, error: string | null }>(
    'select id, status, error from snapshots where connector_id = $1 order by id',
    [c]
  )
  return rows.map((r) => ({ id: Number(r.id), status: r.status, error: r.error }))
}

async function activeId (c: string): Promise<number | null> {
  const [row] = await database.query<{ active_snapshot_id: number | null }>(
    'select active_snapshot_id from connectors where id = $1',
    [c]
  )
  return row!.active_snapshot_id === null ? null : Number(row!.active_snapshot_id)
}

/** Records of a snapshot read straight from its table: subject hash (hex) and attributes. */
async function records (snapshotId: number): Promise<Array<{ h: string, v: number, attrs: Record<string, unknown> }>> {
  const rows = await database.query<{ h: string, v: number, attrs: Record<string, unknown> }>(
    `select encode(subject_hash, 'hex') as h, key_version as v, attrs
      from records_s${snapshotId} order by 1, attrs::text`
  )
  return rows.map((r) => ({ h: r.h, v: Number(r.v), attrs: r.attrs }))
}

const fullWidth = (id: string): string => id.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))

/** A person whose ID ends in the check character X. */
function personWithX (seed: number, name: string): Person {
  const rand = prng(seed)
  for (;;) {
    const id = makeId(rand)
    if (id.endsWith('X')) return { idNumber: id, name }
  }
}

const people = makePeople(40, 11)
people[1] = { idNumber: people[1]!.idNumber, name: people[0]!.name } // two people, one name
const unknown = makePeople(60, 99).filter((p) => !people.some((q) => q.idNumber === p.idNumber)).slice(0, 3)
const peopleRows = rowsOf(people)

// ---- tests -------------------------------------------------------------------------------------

t.test('CSV and NDJSON loads of the same data give the same answers and the same records', async (t) => {
  const csv = await put(ADMIN, 'people', toCsv(peopleRows), CSV)
  t.equal(csv.statusCode, 201, csv.body)
  const s1 = csv.json().snapshot
  t.match(s1, { connector: 'people', status: 'active', rows: 40, subjects: 40, rejectedCount: 0, asOf: YESTERDAY })
  t.same([s1.rejected, s1.ignoredColumns], [[], []])
  t.match(s1.loadedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  const subjects = [...people, ...unknown]
  const answersCsv = await askAll('people', subjects)
  t.same(
    answersCsv,
    subjects.map((p) => expected(peopleRows.find((r) => r.id === p.idNumber))),
    'CSV answers are the ones the data says'
  )
  const recordsCsv = await records(s1.id)

  // The same rows as NDJSON, with one absent key (null, like an empty CSV cell), by the department's own steward.
  t.equal(peopleRows[9]!.score, null)
  const nd = peopleRows.map((r, i) => i === 9 ? ndLine(r).replace(',"score":null', '') : ndLine(r)).join('')
  t.notOk(nd.split('\n')[9]!.includes('"score"'), 'line 10 of the NDJSON file has no score key at all')
  const ndjson = await put(CIVIL_ADMIN, 'people', nd, NDJSON)
  t.equal(ndjson.statusCode, 201, ndjson.body)
  const s2 = ndjson.json().snapshot
  t.match(s2, { status: 'active', rows: 40, subjects: 40, rejectedCount: 0 })
  t.same([s2.rejected, s2.ignoredColumns], [[], []])
  t.not(s2.id, s1.id)
  t.equal(await activeId('people'), s2.id)
  t.same(await askAll('people', subjects), answersCsv, 'NDJSON answers equal the CSV answers')
  t.same(await records(s2.id), recordsCsv, 'the stored records are identical')
})

t.test('only declared fields are stored; names and hashed fields as keyed hashes bound to the subject', async (t) => {
  const id = await activeId('people')
  t.ok(id !== null)
  const stored = await records(id!)
  t.equal(stored.length, peopleRows.length)
  const keys = keyring.connector('people', 1)
  const byHash = new Map(stored.map((r) => [r.h, r]))
  for (const r of peopleRows) {
    const rec = byHash.get(keys.subjectHash(r.id).toString('hex'))
    t.ok(rec !== undefined, 'the record is found under the keyed subject hash')
    if (rec === undefined) continue
    t.equal(rec.v, 1)
    t.same(Object.keys(rec.attrs).sort(), [...DECLARED].sort(), 'exactly the declared fields, not the subject field')
    const name = normaliseName(r.name!)
    t.ok(name.ok)
    t.match(rec.attrs.name, HEX64)
    t.equal(
      rec.attrs.name,
      keys.fieldHash('name', r.id, name.ok ? name.value : ''),
      'name = HMAC(K_field, id ‖ 0x00 ‖ name)'
    )
    t.match(rec.attrs.code, HEX64)
    t.equal(rec.attrs.code, keys.fieldHash('code', r.id, r.code!))
    t.same(
      {
        age: rec.attrs.age,
        score: rec.attrs.score,
        born: rec.attrs.born,
        member: rec.attrs.member,
        note: rec.attrs.note
      },
      { age: r.age, score: r.score, born: r.born, member: r.member, note: r.note }
    )
  }
  const h0 = byHash.get(keys.subjectHash(people[0]!.idNumber).toString('hex'))!
  const h1 = byHash.get(keys.subjectHash(people[1]!.idNumber).toString('hex'))!
  t.equal(people[0]!.name, people[1]!.name)
  t.not(h0.attrs.name, h1.attrs.name, 'two people with one name have different name hashes')
  const h4 = byHash.get(keys.subjectHash(people[4]!.idNumber).toString('hex'))!
  t.equal(peopleRows[0]!.code, peopleRows[4]!.code)
  t.not(h0.attrs.code, h4.attrs.code, 'two people with one code have different code hashes')
  const names = new Set(stored.map((r) => r.attrs.name))
  t.equal(names.size, stored.length, 'no two name hashes are equal: no frequency analysis')
  const text = JSON.stringify(await database.query(`select t::text from records_s${id} t`))
  for (const p of people) {
    t.notOk(text.includes(p.idNumber), 'no ID in the records table')
    t.notOk(text.includes(p.name), 'no name in the records table')
  }
})

t.test('asOf is required, a date, and not in the future', async (t) => {
  const before = await snapshotRows('people')
  const tables = await recordTables()
  const body = toCsv(peopleRows.slice(0, 5))
  const missing = await admin('PUT', '/v1/connectors/people/snapshot', body, CSV)
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().code, 'INVALID_QUERY')
  for (const bad of ['yesterday', '2025-02-30', '2025-13-01', '20250101', cstDay(1), cstDay(400)]) {
    const res = await put(ADMIN, 'people', body, CSV, bad)
    t.equal(res.statusCode, 400, 'asOf=' + bad)
    t.equal(res.json().code, 'INVALID_QUERY')
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  }
  t.same(await snapshotRows('people'), before, 'nothing was loaded or started')
  t.equal(await recordTables(), tables)
  const today = await put(ADMIN, 'history', toCsv(peopleRows.slice(0, 5)), CSV, cstDay(0))
  t.equal(today.statusCode, 201, 'today (China Standard Time) is not in the future')
  t.equal(today.json().snapshot.asOf, todayCst().replace(/^(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3'))
})

t.test('only text/csv and application/x-ndjson are accepted', async (t) => {
  const before = await snapshotRows('people')
  const activeBefore = await activeId('people')
  const body = toCsv(peopleRows.slice(0, 5))
  for (const type of [
    'application/json',
    'text/plain',
    'application/octet-stream',
    'text/tab-separated-values',
    'application/x-www-form-urlencoded'
  ]) {
    const res = await put(ADMIN, 'people', type === 'application/json' ? '{"a":1}' : body, { 'content-type': type })
    t.equal(res.statusCode, 415, type)
    t.equal(res.json().code, 'UNSUPPORTED_MEDIA_TYPE', type)
  }
  t.same(await snapshotRows('people'), before, 'nothing was loaded or started')
  t.equal(await activeId('people'), activeBefore)
  const withCharset = await put(ADMIN, 'history', body, { 'content-type': 'text/csv; charset=utf-8' })
  t.equal(withCharset.statusCode, 201, 'parameters of the media type are allowed')
})

t.test('rejected CSV rows are listed by line (header = line 1), field and code', async (t) => {
  const good = makePeople(30, 21)
  const goodRows = rowsOf(good)
  const [a, b, c, d, e, f, g, h, i] = makePeople(9, 22).map((p) => rowsOf([p])[0]!)
  const wrongCheck = a!.id.slice(0, 17) + checkDigit(a!.id.slice(0, 17)).replace(/./, (x) => x === '0' ? '1' : '0')
  const badDate = '11010519900230' + '123'
  const lines = [
    CSV_HEADER, // 1
    csvLine(goodRows[0]!), // 2
    csvLine({ ...a!, id: wrongCheck }), // 3: check digit
    csvLine(goodRows[1]!), // 4
    csvLine({ ...b!, id: badDate + checkDigit(badDate) }), // 5: 30 February
    csvLine({ ...c!, id: '' }), // 6: empty
    '\n', // 7: blank, skipped but counted
    csvLine(d!, { age: 'abc' }), // 8: integer
    csvLine(e!, { age: '1.5' }), // 9: integer, not a fraction
    csvLine(f!, { score: '1.2.3' }), // 10: number
    csvLine(g!, { born: '2023-02-30' }), // 11: date
    csvLine(h!, { member: 'yes' }), // 12: boolean
    csvLine({ ...i!, name: '张\u202e三' }), // 13: bidi control in a name
    csvLine(goodRows[2]!), // 14
    [goodRows[3]!.id, 'x', '1'].join(',') + '\n', // 15: too few cells
    ...goodRows.slice(4).map((r) => csvLine(r)) // 16…
  ]
  const res = await put(ADMIN, 'rejects', lines.join(''), CSV)
  t.equal(res.statusCode, 201, res.body)
  const s = res.json().snapshot
  t.same(withoutReasons(t, s.rejected), [
    { line: 3, field: 'id_number', code: 'INVALID_ID_NUMBER' },
    { line: 5, field: 'id_number', code: 'INVALID_ID_NUMBER' },
    { line: 6, field: 'id_number', code: 'INVALID_ID_NUMBER' },
    { line: 8, field: 'age', code: 'INVALID_VALUE' },
    { line: 9, field: 'age', code: 'INVALID_VALUE' },
    { line: 10, field: 'score', code: 'INVALID_VALUE' },
    { line: 11, field: 'born', code: 'INVALID_VALUE' },
    { line: 12, field: 'member', code: 'INVALID_VALUE' },
    { line: 13, field: 'name', code: 'INVALID_NAME' },
    { line: 15, field: '', code: 'MALFORMED_ROW' }
  ])
  t.equal(s.rejectedCount, 10)
  t.equal(s.rows, 29)
  t.equal(s.subjects, 29)
  // A rejected row is not stored, not even partly; its (valid) subject is not unknown either: a
  // question about them is refused rather than answered "no" (design §14.1).
  const UNREADABLE = '409 SUBJECT_DATA_UNREADABLE'
  t.equal(await refused('rejects', d!.id, d!.name!), UNREADABLE, 'the subject of a rejected row is unreadable')
  t.equal(await refused('rejects', a!.id, a!.name!), UNREADABLE, 'so is the subject of a check-digit typo')
  t.equal(await refused('rejects', goodRows[3]!.id, goodRows[3]!.name!), UNREADABLE, 'and of a row with too few cells')
  t.equal(s.unreadableSubjects, 8, 'lines 3, 8-13 and 15')
  t.equal(s.unlinkableRows, 2, 'lines 5 (30 February) and 6 (no ID)')
  t.same(s.rejectedByCode, { INVALID_ID_NUMBER: 3, INVALID_VALUE: 5, INVALID_NAME: 1, MALFORMED_ROW: 1 })
  t.same(
    await answersOf('rejects', goodRows[1]!.id, goodRows[1]!.name!),
    expected(goodRows[1]),
    'an accepted row answers'
  )
  const listed = (await admin('GET', '/v1/connectors/rejects/snapshots')).json().snapshots[0]
  t.same(listed.rejected, s.rejected, 'the history keeps the rejected rows')
  t.equal(listed.rejectedCount, 10)
})

t.test('a CSV record spanning lines is reported at its first line, and the lines after it keep their numbers',
  async (t) => {
    const goodRows = rowsOf(makePeople(12, 25))
    const [a, b] = makePeople(2, 26).map((p) => rowsOf([p])[0]!)
    const lines = [
      CSV_HEADER, // 1
      csvLine(goodRows[0]!, { note: '"two\nlines"' }), // 2-3: accepted
      csvLine(a!, { age: 'x', note: '"three\r\nlines\nhere"' }), // 4-6: rejected
      csvLine(b!, { born: '1999-99-99' }).replace('\n', '\r\n'), // 7
      ...goodRows.slice(1).map((r) => csvLine(r)) // 8…
    ]
    const res = await put(ADMIN, 'rejects', lines.join(''), CSV)
    t.equal(res.statusCode, 201, res.body)
    t.same(withoutReasons(t, res.json().snapshot.rejected), [
      { line: 4, field: 'age', code: 'INVALID_VALUE' }, { line: 7, field: 'born', code: 'INVALID_VALUE' }
    ])
    const stored = await records(res.json().snapshot.id)
    t.ok(stored.some((r) => r.attrs.note === 'two\nlines'), 'the line break inside the quoted cell is kept')
  })

t.test('rejected NDJSON rows are listed by line, blank lines counted; JSON types are not coerced', async (t) => {
  const goodRows = rowsOf(makePeople(30, 31))
  const [a, b, c, d, e, f, g] = makePeople(7, 32).map((p) => rowsOf([p])[0]!)
  const obj = (r: Row, patch: Record<string, unknown>): string =>
    JSON.stringify({ ...JSON.parse(ndLine(r)), ...patch }) + '\n'
  const lines = [
    ndLine(goodRows[0]!), // 1
    '\n', // 2: blank
    obj(a!, { id_number: a!.id.slice(0, 17) + (a!.id.endsWith('0') ? '1' : '0') }), // 3: check digit (or X → 0)
    obj(b!, { id_number: Number(b!.id.slice(0, 15)) }), // 4: a JSON number is never an ID
    obj(c!, { age: '30' }), // 5: a string is not an integer
    obj(d!, { member: 'true' }), // 6: nor a boolean
    obj(e!, { score: '1.5' }), // 7: nor a number
    obj(f!, { born: '2023-02-30' }), // 8: not a calendar date
    obj(g!, { name: 42 }), // 9: a name is a string
    '{"id_number": \n', // 10: not JSON
    '[1, 2]\r\n', // 11: not an object
    '   \n', // 12: whitespace only, skipped
    ndLine(goodRows[1]!).replace('\n', '\r\n'), // 13: CRLF
    ...goodRows.slice(2).map(ndLine) // 14…
  ]
  const res = await put(CIVIL_ADMIN, 'rejects-nd', lines.join(''), NDJSON)
  t.equal(res.statusCode, 201, res.body)
  const s = res.json().snapshot
  t.same(withoutReasons(t, s.rejected), [
    { line: 3, field: 'id_number', code: 'INVALID_ID_NUMBER' },
    { line: 4, field: 'id_number', code: 'INVALID_ID_NUMBER' },
    { line: 5, field: 'age', code: 'INVALID_VALUE' },
    { line: 6, field: 'member', code: 'INVALID_VALUE' },
    { line: 7, field: 'score', code: 'INVALID_VALUE' },
    { line: 8, field: 'born', code: 'INVALID_VALUE' },
    { line: 9, field: 'name', code: 'INVALID_NAME' },
    { line: 10, field: '', code: 'MALFORMED_ROW' },
    { line: 11, field: '', code: 'MALFORMED_ROW' }
  ])
  t.equal(s.rejectedCount, 9)
  t.equal(s.rows, 30)
  t.equal(await refused('rejects-nd', c!.id, c!.name!), '409 SUBJECT_DATA_UNREADABLE')
  t.equal(s.unlinkableRows, 3, 'line 4 (a JSON number) and lines 10-11 (not objects)')
  const crlf = goodRows[1]!
  t.same(await answersOf('rejects-nd', crlf.id, crlf.name!), expected(crlf), 'the CRLF line was read')
})

t.test('a CSV file that is not CSV (bad quoting) is a 400 naming the line, not a 500', async (t) => {
  const ok1 = await put(ADMIN, 'quoting', toCsv(peopleRows.slice(0, 10)), CSV)
  t.equal(ok1.statusCode, 201, ok1.body)
  const active = ok1.json().snapshot.id
  const tables = await recordTables()
  const rows = peopleRows.slice(10, 20).map((r) => ({ ...r, note: 'plain' }))
  const rest = (from: number): string => rows.slice(from).map((r) => csvLine(r)).join('')
  for (const [label, where, file] of [
    [
      'a quote inside an unquoted cell',
      /\bline 5\b/,
      toCsv(rows.slice(0, 3)) + csvLine(rows[3]!, { note: 'says "hi" 4711' }) + rest(4)
    ],
    [
      'a quote never closed',
      /\bline 4\b/,
      toCsv(rows.slice(0, 2)) + csvLine(rows[2]!, { note: '"open 4711' }) + rest(3)
    ]
  ] as const) {
    const res = await put(ADMIN, 'quoting', file, CSV)
    t.equal(res.statusCode, 400, label + ': ' + res.body)
    t.equal(res.json().code, 'INVALID_BODY', label)
    t.match(res.json().detail, where, label + ': the detail names the line where the trouble starts')
    t.notMatch(res.body, /4711|says/, label + ': the cell is not echoed')
    const failed = (await snapshotRows('quoting')).at(-1)!
    t.same(failed, { id: failed.id, status: 'failed', error: 'INVALID_BODY' }, label)
    t.equal(await activeId('quoting'), active, label + ': the previous snapshot stays active')
    t.equal(await recordTables(), tables, label + ': no records table is left')
  }
})

t.test('rejectedCount counts every rejected row, rejected lists the first 1,000', async (t) => {
  const goodRows = rowsOf(makePeople(300, 41))
  const badRows = rowsOf(makePeople(1200, 42))
  const lines = [CSV_HEADER, ...goodRows.map((r) => csvLine(r)), ...badRows.map((r) => csvLine({ ...r, born: 'soon' }))]
  const res = await put(ADMIN, 'many', lines.join(''), CSV)
  t.equal(res.statusCode, 201, res.body.slice(0, 500))
  const s = res.json().snapshot
  t.equal(s.rows, 300)
  t.equal(s.rejectedCount, 1200)
  t.equal(s.rejected.length, 1000)
  t.match(s.rejected[0], { line: 302, field: 'born', code: 'INVALID_VALUE', reason: /YYYY年M月D日/ })
  t.match(s.rejected[999], { line: 1301, field: 'born', code: 'INVALID_VALUE' })
  const listed = (await admin('GET', '/v1/connectors/many')).json().activeSnapshot
  t.equal(listed.rejectedCount, 1200)
  t.equal(listed.rejected.length, 1000)
})

t.test(
  'above maxRejectRatio (default 1%) the load fails with 422 and the previous snapshot stays active',
  async (t) => {
    const first = rowsOf(makePeople(100, 51))
    const res1 = await put(ADMIN, 'ratio', toCsv(first), CSV)
    t.equal(res1.statusCode, 201, res1.body)
    const s1 = res1.json().snapshot.id
    t.equal((await admin('GET', '/v1/connectors/ratio')).json().maxRejectRatio, 0.01, 'the default limit is 1%')

    const second = rowsOf(makePeople(97, 52)).map((r) => ({ ...r, score: 999 }))
    const subjects: Person[] = [...first.slice(0, 40), ...second.slice(0, 10)]
      .map((r) => ({ idNumber: r.id, name: r.name! }))
    const before = await askAll('ratio', subjects)
    const tables = await recordTables()
    const bad = rowsOf(makePeople(3, 53)).map((r) => ({ ...r, age: -0.5 }))
    const res2 = await put(ADMIN, 'ratio', toCsv([...second.slice(0, 50), ...bad, ...second.slice(50)]), CSV)
    t.equal(res2.statusCode, 422, res2.body)
    const problem = res2.json()
    t.equal(problem.code, 'REJECT_RATIO_EXCEEDED')
    t.equal(problem.rejectedCount, 3)
    const listed = [51, 52, 53].map((line) => ({ line: line + 1, field: 'age', code: 'INVALID_VALUE' }))
    t.same(withoutReasons(t, problem.rejected), listed)
    t.equal(await activeId('ratio'), s1, 'the active snapshot did not change')
    t.equal((await admin('GET', '/v1/connectors/ratio')).json().activeSnapshot.id, s1)
    t.same(await askAll('ratio', subjects), before, 'the same answers as before the failed load')
    const failed = (await snapshotRows('ratio')).at(-1)!
    t.same(failed, { id: failed.id, status: 'failed', error: 'REJECT_RATIO_EXCEEDED' })
    t.notOk(await tableExists(failed.id), 'the failed load left no records table')
    t.equal(await recordTables(), tables)

    // Exactly at the limit is not above it: 1 bad row in 100 loads.
    const third = rowsOf(makePeople(99, 54))
    const res3 = await put(ADMIN, 'ratio', toCsv([...third, ...bad.slice(0, 1)]), CSV)
    t.equal(res3.statusCode, 201, res3.body)
    t.equal(res3.json().snapshot.rejectedCount, 1)
    t.equal(await activeId('ratio'), res3.json().snapshot.id)
  }
)

t.test('a missing declared column is 400 MISSING_COLUMN before any table is created', async (t) => {
  const ok1 = await put(ADMIN, 'columns', toCsv(peopleRows.slice(0, 10)), CSV)
  t.equal(ok1.statusCode, 201)
  const active = ok1.json().snapshot.id
  const tables = await recordTables()
  const csv = toCsv(peopleRows.slice(0, 10))
    .split('\n')
    .map((l) =>
      l
        .split(',')
        .filter((_, i) => i !== 4)
        .join(',')
    )
    .join('\n')
  t.ok(csv.startsWith('id_number,name,age,score,member,'), 'the born column is gone')
  const res = await put(ADMIN, 'columns', csv, CSV)
  t.equal(res.statusCode, 400, res.body)
  t.equal(res.json().code, 'MISSING_COLUMN')
  t.same(res.json().missing, ['born'])
  t.equal(await recordTables(), tables, 'no records table was created')
  const failed = (await snapshotRows('columns')).at(-1)!
  t.same(failed, { id: failed.id, status: 'failed', error: 'MISSING_COLUMN' })
  t.equal(await activeId('columns'), active)

  const noId = toCsv(peopleRows.slice(0, 3)).replace('id_number,', 'idnumber,')
  const res2 = await put(ADMIN, 'columns', noId, CSV)
  t.equal(res2.statusCode, 400)
  t.same(res2.json().missing, ['id_number'], 'the subject column is declared too')

  // NDJSON: the subject key must be there; a declared key left out is a null (serialisers drop nulls).
  const noSubject = peopleRows
    .slice(0, 5)
    .map((r) => {
      const o = JSON.parse(ndLine(r))
      delete o.id_number
      return JSON.stringify(o) + '\n'
    })
    .join('')
  const res3 = await put(ADMIN, 'columns', noSubject, NDJSON)
  t.equal(res3.statusCode, 400)
  t.equal(res3.json().code, 'MISSING_COLUMN')
  t.same(res3.json().missing, ['id_number'])
  t.equal(await recordTables(), tables, 'still no records table')
  t.same((await snapshotRows('columns')).slice(-3).map((s) => s.status), ['failed', 'failed', 'failed'])
  t.equal(await activeId('columns'), active)

  const nd = peopleRows
    .slice(0, 5)
    .map((r) => {
      const o = JSON.parse(ndLine(r))
      delete o.age
      delete o.note
      return JSON.stringify(o) + '\n'
    })
    .join('')
  const res4 = await put(ADMIN, 'columns', nd, NDJSON)
  t.equal(res4.statusCode, 201, res4.body)
  const stored = await database.query<{ attrs: Record<string, unknown> }>(
    `select attrs from records where snapshot_id = $1 limit 1`,
    [res4.json().snapshot.id]
  )
  t.equal(stored[0]!.attrs.age, null, 'a left-out key is stored as null')
})

t.test('extra columns are dropped, never stored, and listed in ignoredColumns', async (t) => {
  const rows = peopleRows.slice(0, 12)
  const csv = 'phone,' + CSV_HEADER.replace('\n', ',home_address\n') +
    rows.map((r, i) => `1380013${String(8000 + i)},` + csvLine(r).replace('\n', `,Secret Lane ${i}\n`)).join('')
  const res = await put(ADMIN, 'extra', csv, CSV)
  t.equal(res.statusCode, 201, res.body)
  const s = res.json().snapshot
  t.same(s.ignoredColumns, ['phone', 'home_address'])
  t.equal(s.rows, 12)
  const stored = await records(s.id)
  t.equal(stored.length, 12, 'every row is stored')
  for (const r of stored) t.same(Object.keys(r.attrs).sort(), [...DECLARED].sort())
  const text = JSON.stringify(await database.query(`select t::text from records_s${s.id} t`))
  t.notOk(text.includes('Secret Lane'), 'extra values are not in the records table')
  t.notOk(text.includes('13800138'), 'extra values are not in the records table')
  t.notOk(text.includes('phone'))
  t.same(await answersOf('extra', rows[2]!.id, rows[2]!.name!), expected(rows[2]), 'the declared fields answer')

  // NDJSON: keys that appear in any row are ignored and listed.
  const nd = rows
    .map((r, i) =>
      i === 5 ? JSON.stringify({ ...JSON.parse(ndLine(r)), email: 'someone@example.invalid' }) + '\n' : ndLine(r)
    )
    .join('')
  const res2 = await put(ADMIN, 'extra', nd, NDJSON)
  t.equal(res2.statusCode, 201, res2.body)
  t.same(res2.json().snapshot.ignoredColumns, ['email'])
  const text2 = JSON.stringify(await database.query(`select t::text from records_s${res2.json().snapshot.id} t`))
  t.notOk(text2.includes('example.invalid'))
  t.notOk(text2.includes('email'))
})

t.test('a second load while one runs is 409 LOAD_IN_PROGRESS; a stale one does not block', async (t) => {
  const body = toCsv(peopleRows.slice(0, 20))
  t.test('a loading row with a fresh heartbeat', async (t) => {
    const [row] = await database.query<{ id: number }>(
      `insert into snapshots (connector_id, status, as_of, key_version, norm, started_by, heartbeat_at)
      values ('busy', 'loading', $1, 1, 'cn-ric-v1', 'elsewhere', now() - interval '60 seconds') returning id`,
      [YESTERDAY]
    )
    const tables = await recordTables()
    const res = await put(ADMIN, 'busy', body, CSV)
    t.equal(res.statusCode, 409, res.body)
    t.equal(res.json().code, 'LOAD_IN_PROGRESS')
    t.equal((await snapshotRows('busy')).length, 1, 'no snapshot was started')
    t.equal(await recordTables(), tables)
    t.equal(await activeId('busy'), null)
    await database.query(`update snapshots set status = 'failed', error = 'TEST' where id = $1`, [row!.id])
  })

  t.test('a load whose body is still arriving', async (t) => {
    const upload = new PassThrough()
    const rows = peopleRows.slice(0, 30)
    upload.write(CSV_HEADER + rows.slice(0, 10).map((r) => csvLine(r)).join(''))
    const first = app.inject({
      method: 'PUT',
      url: `/v1/connectors/busy/snapshot?asOf=${YESTERDAY}`,
      headers: { authorization: 'Bearer ' + token(ADMIN), 'content-type': 'text/csv' },
      payload: upload
    })
    let loading: Array<{ id: number }> = []
    for (let i = 0; i < 200 && loading.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      loading = await database.query<{ id: number }>(
        `select id from snapshots where connector_id = 'busy' and status = 'loading'`
      )
    }
    t.equal(loading.length, 1, 'the first load has started')
    const second = await put(CIVIL_ADMIN, 'busy', body, CSV)
    t.equal(second.statusCode, 409, second.body)
    t.equal(second.json().code, 'LOAD_IN_PROGRESS')
    upload.end(rows.slice(10).map((r) => csvLine(r)).join(''))
    const done = await first
    t.equal(done.statusCode, 201, done.body)
    t.equal(done.json().snapshot.id, Number(loading[0]!.id))
    t.equal(done.json().snapshot.rows, 30)
    t.equal(await activeId('busy'), Number(loading[0]!.id))
    const third = await put(ADMIN, 'busy', body, CSV)
    t.equal(third.statusCode, 201, 'once the first load is done, the next one runs')
  })

  t.test('a loading row whose heartbeat is older than 2 minutes', async (t) => {
    const [row] = await database.query<{ id: number }>(
      `insert into snapshots (connector_id, status, as_of, key_version, norm, started_by, heartbeat_at)
      values ('stale', 'loading', $1, 1, 'cn-ric-v1', 'crashed', now() - interval '3 minutes') returning id`,
      [YESTERDAY]
    )
    // What the crashed load had written so far: its own table, not attached.
    await database.query(`create table records_s${Number(row!.id)} (like records)`)
    await database.query(`insert into records_s${Number(row!.id)} values ($1, $2, 1, '{}')`, [
      Number(row!.id),
      Buffer.alloc(32, 1)
    ])
    const res = await put(ADMIN, 'stale', body, CSV)
    t.equal(res.statusCode, 201, res.body)
    t.equal(await activeId('stale'), res.json().snapshot.id)
    const rows = await snapshotRows('stale')
    t.same(rows.find((r) => r.id === Number(row!.id)), { id: Number(row!.id), status: 'abandoned', error: 'ABANDONED' },
      'the dead load is marked abandoned')
    t.notOk(await tableExists(Number(row!.id)), 'and its half-written table is dropped')
  })
})

t.test('a dept_admin of another department may not load (403) and nothing is loaded', async (t) => {
  const ok1 = await put(CIVIL_ADMIN, 'scoped', toCsv(peopleRows.slice(0, 10)), CSV)
  t.equal(ok1.statusCode, 201, ok1.body)
  const before = await snapshotRows('scoped')
  const tables = await recordTables()
  const audit = await database.query(`select count(*)::int as n from audit_entries where kind = 'load'`)
  const answers = await askAll('scoped', people.slice(0, 12))
  for (const [claims, body, headers] of [
    [OTHER_ADMIN, toCsv(peopleRows), CSV],
    [OTHER_ADMIN, peopleRows.map(ndLine).join(''), NDJSON],
    [CLIENT, toCsv(peopleRows), CSV],
    [AUDITOR, toCsv(peopleRows), CSV]
  ] as const) {
    const res = await put(claims, 'scoped', body, headers)
    t.equal(res.statusCode, 403, claims.sub)
    t.equal(res.json().code, 'FORBIDDEN')
  }
  t.equal((await as(OTHER_ADMIN)('GET', '/v1/connectors/scoped')).statusCode, 403)
  t.equal((await as(OTHER_ADMIN)('GET', '/v1/connectors/scoped/snapshots')).statusCode, 403)
  t.same(await snapshotRows('scoped'), before, 'no snapshot was started')
  t.equal(await recordTables(), tables)
  t.same(
    await database.query(`select count(*)::int as n from audit_entries where kind = 'load'`),
    audit,
    'no load entry'
  )
  t.same(await askAll('scoped', people.slice(0, 12)), answers)
  const refusals = await database.query<{ actor_sub: string, code: string }>(
    `select actor_sub, code from audit_entries where kind = 'refusal' and actor_sub = $1`,
    [OTHER_ADMIN.sub]
  )
  t.ok(refusals.length >= 2 && refusals.every((r) => r.code === 'FORBIDDEN'), 'the refusals are audited')
})

t.test('every load is an audit entry, without identifiers; so is a failed one', async (t) => {
  const rows = peopleRows.slice(0, 20)
  const res = await put(CIVIL_ADMIN, 'audited', toCsv(rows), CSV)
  t.equal(res.statusCode, 201)
  const id = res.json().snapshot.id
  const bad = await put(ADMIN, 'audited', toCsv(rows.map((r, i) => i < 5 ? { ...r, age: 1.5 } : r)), CSV)
  t.equal(bad.statusCode, 422)
  const badId = (await snapshotRows('audited')).at(-1)!.id
  const missing = await put(ADMIN, 'audited', 'id_number,name\n' + rows.map((r) => `${r.id},${r.name}\n`).join(''), CSV)
  t.equal(missing.statusCode, 400)
  const missingId = (await snapshotRows('audited')).at(-1)!.id

  const entries = await database.query<{
    index: number
    code: string
    snapshot: number
    actor_sub: string
    subject: string | null
    entry: Uint8Array
  }>(
    `select index, code, snapshot, actor_sub, subject, entry from audit_entries
      where kind = 'load' and snapshot in (${[id, badId, missingId].map(Number).join(', ')}) order by index`
  )
  t.same(entries.map((e) => [Number(e.snapshot), e.code, e.actor_sub]), [
    [id, 'ACTIVE', CIVIL_ADMIN.sub],
    [badId, 'REJECT_RATIO_EXCEEDED', ADMIN.sub],
    [missingId, 'MISSING_COLUMN', ADMIN.sub]
  ])
  for (const e of entries) {
    t.equal(e.subject, null, 'a load entry has no subject')
    const text = Buffer.from(e.entry).toString('utf8')
    const parsed = JSON.parse(text)
    t.equal(parsed.kind, 'load')
    t.equal(parsed.detail.connector, 'audited')
    for (const r of rows) {
      t.notOk(
        text.includes(r.id) || text.includes(r.id.slice(0, 17)) || text.includes(r.name!),
        'no ID or name in the entry'
      )
    }
  }
  t.match(JSON.parse(Buffer.from(entries[0]!.entry).toString('utf8')), {
    code: 'ACTIVE',
    asOf: YESTERDAY,
    keyVersion: 1,
    norm: 'cn-ric-v1',
    detail: { rows: 20, subjects: 20, rejected: 0, previous: null }
  })
  const viaApi = await as(AUDITOR)('GET', '/v1/audit/entries?kind=load&limit=1000')
  t.equal(viaApi.statusCode, 200)
  const mine = viaApi.json().entries.filter((e: { snapshot: number }) => [id, badId, missingId].includes(e.snapshot))
  t.same(mine.map((e: { code: string }) => e.code), ['ACTIVE', 'REJECT_RATIO_EXCEEDED', 'MISSING_COLUMN'])
})

t.test('GET /v1/connectors/:id shows the active snapshot; /snapshots lists history newest first', async (t) => {
  const rows = peopleRows.slice(0, 15)
  const a = await put(ADMIN, 'history', toCsv(rows.slice(0, 5)), CSV, cstDay(-3))
  const b = await put(
    ADMIN,
    'history',
    'id_number,name\n' + rows.map((r) => `${r.id},${r.name}\n`).join(''),
    CSV,
    cstDay(-2)
  )
  const c = await put(CIVIL_ADMIN, 'history', toCsv(rows), CSV, cstDay(-2))
  t.same([a.statusCode, b.statusCode, c.statusCode], [201, 400, 201])
  const aId = a.json().snapshot.id
  const cId = c.json().snapshot.id
  const res = await as(CIVIL_ADMIN)('GET', '/v1/connectors/history')
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    id: 'history',
    department: 'civil',
    active: true,
    activeSnapshot: {
      id: cId,
      connector: 'history',
      status: 'active',
      rows: 15,
      subjects: 15,
      rejectedCount: 0,
      asOf: cstDay(-2),
      error: null
    }
  })
  const list = await as(CIVIL_ADMIN)('GET', '/v1/connectors/history/snapshots')
  t.equal(list.statusCode, 200)
  const snaps = list.json().snapshots as Array<{
    id: number
    status: string
    error: string | null
    asOf: string
    loadedAt: string | null
  }>
  const ids = snaps.map((s) => s.id)
  t.same(ids, [...ids].sort((x, y) => y - x), 'newest first')
  t.equal(snaps[0]!.id, cId)
  t.match(snaps[0], { status: 'active', asOf: cstDay(-2) })
  t.match(snaps[1], { status: 'failed', error: 'MISSING_COLUMN', loadedAt: null })
  t.match(snaps[2], { id: aId, status: 'superseded', asOf: cstDay(-3) })
  t.ok(snaps.length >= 3)
  t.ok(snaps.slice(3).every((s) => s.status === 'superseded'))
})

t.test('decorated IDs load and answer for the canonical ID', async (t) => {
  const plain = makePeople(5, 61)
  const withX = personWithX(62, '林淼')
  const legacy15 = '440106850315123'
  const legacy = normaliseIdNumber(legacy15, todayCst())
  t.ok(legacy.ok)
  const legacyCanonical = legacy.ok ? legacy.value : ''
  t.equal(legacyCanonical, '44010619850315123' + checkDigit('44010619850315123'))
  const spaced = plain[1]!
  const withX2 = personWithX(63, '李强')
  const rows = [
    { id: fullWidth(plain[0]!.idNumber), name: '王伟' }, // full-width digits
    { id: withX.idNumber.slice(0, 17) + 'x', name: withX.name }, // lower-case x
    { id: legacy15, name: '周芳' }, // 15-digit legacy
    { id: '\u3000' + spaced.idNumber + ' ', name: spaced.name }, // surrounding ideographic space
    { id: fullWidth(withX2.idNumber.slice(0, 17)) + 'ｘ', name: withX2.name } // full-width digits and x
  ]
  const csv = CSV_HEADER + rows.map((r) => `${r.id},${r.name},,,,,,\n`).join('')
  const res = await put(ADMIN, 'deco', csv, CSV)
  t.equal(res.statusCode, 201, res.body)
  const s = res.json().snapshot
  t.same([s.rows, s.subjects, s.rejectedCount], [5, 5, 0])
  const canonical = [plain[0]!.idNumber, withX.idNumber, legacyCanonical, spaced.idNumber, withX2.idNumber]
  const keys = keyring.connector('deco', 1)
  const stored = new Set((await records(s.id)).map((r) => r.h))
  for (const id of canonical) {
    t.ok(stored.has(keys.subjectHash(id).toString('hex')), 'stored under the hash of the canonical ID')
  }
  const names = rows.map((r) => r.name)
  for (let i = 0; i < canonical.length; i++) {
    const answers = await answersOf('deco', canonical[i]!, names[i]!)
    t.same(answers.slice(0, 2), ['yes', 'yes'], 'the canonical ID is known and its name matches')
  }
  // The same subjects asked in decorated form are the same subjects.
  t.same((await answersOf('deco', legacy15, '周芳')).slice(0, 2), ['yes', 'yes'])
  t.same((await answersOf('deco', fullWidth(withX.idNumber.slice(0, 17)) + 'ｘ', withX.name)).slice(0, 2), [
    'yes',
    'yes'
  ])
  t.same((await answersOf('deco', plain[0]!.idNumber, '王芳')).slice(0, 2), ['yes', 'no'], 'another name does not match')
})
