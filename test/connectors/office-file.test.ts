/**
 * Issue 15's "done when", end to end over the API: a messy office file (test/fixtures/office-file.ts)
 * — BOM, CRLF, quoted commas and line breaks, blank lines, 15-digit, full-width and lower-case-x
 * IDs, Excel dates, stray spaces, Chinese headers mapped by `column`, and a GB18030 copy — loads;
 * every answer about every readable person is the one the source data gives; a person behind a
 * rejected row gets 409 SUBJECT_DATA_UNREADABLE, never an answer; the reject report lists every
 * rejected line with its reason, and never a value.
 */
import t, { type Test } from 'tap'
import { build, ADMIN } from '../helpers/app.ts'
import {
  encodeGb18030, officeFiles, type BadLine, type MarriageRecord, type PropertyRecord
} from '../fixtures/office-file.ts'
import type { TokenClaims } from '../../src/tokens.ts'

const { as } = await build(t)
const admin = as(ADMIN)
const CALLER: TokenClaims = { sub: 'housing', role: 'caller' }
const caller = as(CALLER)
const files = officeFiles(400)
const { columns: col } = files
const YESTERDAY = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)

async function ok (res: { statusCode: number, body: string }, status: number): Promise<void> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}

await ok(await admin('POST', '/v1/departments', { id: 'civil', name: '民政局' }), 201)
const MARRIAGE = {
  department: 'civil',
  title: '婚姻登记',
  kind: 'file',
  subject: { field: 'id_number', type: 'cn_resident_id', column: col.id },
  fields: [
    { name: 'name', type: 'name', column: col.name },
    { name: 'status', type: 'string', column: col.status },
    { name: 'registered', type: 'date', column: col.registered },
    { name: 'valid', type: 'boolean', column: col.valid }
  ],
  maxRejectRatio: 0.05
}
for (const id of ['marriage', 'marriage-gb']) await ok(await admin('POST', '/v1/connectors', { id, ...MARRIAGE }), 201)
for (const id of ['property', 'property-strict']) {
  await ok(await admin('POST', '/v1/connectors', {
    id,
    department: 'civil',
    title: '不动产登记',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id', column: col.id },
    fields: [
      { name: 'cert', type: 'hashed', column: col.cert },
      { name: 'area', type: 'number', column: col.area },
      { name: 'registered', type: 'date', column: col.propRegistered }
    ],
    // property-strict keeps the default limit of 1%, which this file's bad rows exceed
    ...(id === 'property' ? { maxRejectRatio: 0.1 } : {})
  }), 201)
}

const MARRIAGE_QUESTIONS = [
  { suffix: 'married', when: { any: { status: { eq: '已婚' }, valid: { eq: true } } } },
  { suffix: 'before', params: { date: 'date' }, when: { any: { registered: { lt: { param: 'date' } } } } },
  { suffix: 'name', when: { any: { name: { eq: { subject: 'name' } } } } },
  { suffix: 'two', when: { count: { gte: 2 } } }
]
const questions: string[] = []
for (const c of ['marriage', 'marriage-gb']) {
  for (const q of MARRIAGE_QUESTIONS) {
    await ok(await admin('POST', '/v1/questions', {
      id: `${c}.${q.suffix}`, connector: c, title: q.suffix, ...(q.params ? { params: q.params } : {}), when: q.when
    }), 201)
    questions.push(`${c}.${q.suffix}`)
  }
}
await ok(await admin('POST', '/v1/questions', {
  id: 'property.none', connector: 'property', title: '无房', when: { not: { any: {} } }
}), 201)
await ok(await admin('POST', '/v1/questions', {
  id: 'property.area',
  connector: 'property',
  title: 'area',
  params: { min: 'number' },
  when: { sum: { field: 'area', gte: { param: 'min' } } }
}), 201)
await ok(await admin('POST', '/v1/questions', {
  id: 'property.cert',
  connector: 'property',
  title: 'cert',
  params: { cert: 'string' },
  when: { any: { cert: { eq: { param: 'cert' } } } }
}), 201)
questions.push('property.none', 'property.area', 'property.cert')
await ok(await admin('POST', '/v1/clients', {
  id: 'housing',
  name: '住房保障系统',
  questions,
  purposes: ['housing-subsidy'],
  quotas: { requestsPerMinute: 1_000_000, subjectsPerDay: 1_000_000, subjectsPerCase: 100, namesPerSubjectPerDay: 100 }
}), 201)

// A snapshot as the API returns it (its shape is checked by the route's schema).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const put = async (c: string, body: Buffer | string, type: string): Promise<Record<string, any>> => {
  const res = await admin('PUT', `/v1/connectors/${c}/snapshot?asOf=${YESTERDAY}`, body, { 'content-type': type })
  await ok(res, 201)
  return res.json().snapshot
}

let cases = 0
type Asked = Array<{ id: string, params?: Record<string, unknown> }>
async function ask (subject: { idNumber: string, name: string }, qs: Asked): Promise<string[] | string> {
  const res = await caller('POST', '/v1/verifications', {
    subject, questions: qs, purpose: 'housing-subsidy', caseId: 'HS-' + ++cases
  })
  if (res.statusCode === 200) return res.json().answers.map((a: { answer: string }) => a.answer)
  return `${res.statusCode} ${String(res.json().code)}`
}

const yn = (b: boolean): string => b ? 'yes' : 'no'
const BEFORE = '2010-01-01'
function marriageTruth (recs: readonly MarriageRecord[], askedName: string): string[] {
  return [
    yn(recs.some((r) => r.status === '已婚' && r.valid)),
    yn(recs.some((r) => r.registered < BEFORE)),
    yn(recs.some((r) => r.name === askedName)),
    yn(recs.length >= 2)
  ]
}
function propertyTruth (recs: readonly PropertyRecord[], cert: string): string[] {
  return [yn(recs.length === 0), yn(recs.reduce((s, r) => s + r.area, 0) >= 100), yn(recs.some((r) => r.cert === cert))]
}

/** The persons behind the bad lines: refused (a readable subject) or beyond reach (an unreadable ID). */
function split (bad: readonly BadLine[]): { refused: Set<string>, lost: Set<string> } {
  return {
    refused: new Set(bad.flatMap((b) => b.subject === null ? [] : [b.subject])),
    lost: new Set(bad.flatMap((b) => b.subject === null ? [b.owner] : []))
  }
}

/** Every rejected line of the report: line, field, code, a reason, and none of the file's values. */
async function checkReport (t: Test, c: string, snapshot: number, bad: readonly BadLine[]): Promise<void> {
  const res = await admin('GET', `/v1/connectors/${c}/snapshots/${snapshot}/rejects`)
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/csv/)
  const lines = res.body.replace(/^\ufeff/, '').trimEnd().split('\r\n')
  t.equal(lines[0], 'line,field,code,reason,column')
  const rows = lines.slice(1).map((l) => {
    const m = /^(\d+),([a-z_]*),([A-Z_]+),(?:"((?:[^"]|"")*)"|([^,]*)),(.*)$/.exec(l)
    if (m === null) throw new Error('not a report line: ' + l)
    return { line: Number(m[1]), field: m[2]!, code: m[3]!, reason: m[4] ?? m[5] ?? '', column: m[6]! }
  })
  type Where = { line: number, field: string, code: string }
  const where = ({ line, field, code }: Where): Where => ({ line, field, code })
  t.same(rows.map(where), bad.map(where),
    `${c}: the report lists every rejected line, in order`)
  t.ok(rows.every((r) => r.reason.length > 10), `${c}: every line says why`)
  for (const p of files.people) {
    if (res.body.includes(p.idNumber) || res.body.includes(p.idNumber.slice(0, 15))) {
      t.fail(`${c}: the report holds an ID number`)
      return
    }
  }
  t.notOk(/2023\/2\/29|45356|,有效|迁入|户籍|\d平/.test(res.body), `${c}: no value of the file is in the report`)
}

t.test('the marriage register, UTF-8 with a BOM and its GB18030 copy, load with every bad line reported', async (t) => {
  const { refused, lost } = split(files.marriageBad)
  t.ok(refused.size >= 5 && lost.size >= 1, `the file has ${files.marriageBad.length} bad lines`)
  const utf8 = await put('marriage', Buffer.from(files.marriageCsv, 'utf8'), 'text/csv')
  const gb = encodeGb18030(files.marriageCsv)
  t.not(gb.toString('utf8'), files.marriageCsv, 'the copy is not UTF-8')
  const gbk = await put('marriage-gb', gb, 'text/csv; charset=GB18030')
  for (const s of [utf8, gbk]) {
    t.equal(s.rejectedCount, files.marriageBad.length, `${s.connector}: rejectedCount`)
    const byCode: Record<string, number> = {}
    for (const b of files.marriageBad) byCode[b.code] = (byCode[b.code] ?? 0) + 1
    t.same(s.rejectedByCode, byCode, `${s.connector}: rejectedByCode`)
    t.equal(s.unlinkableRows, lost.size, `${s.connector}: the rows whose ID cannot be read are counted`)
    t.equal(s.unreadableSubjects, refused.size, `${s.connector}: the subjects behind the other bad rows are unreadable`)
    t.same(s.ignoredColumns.sort(), ['备注', '序号'], `${s.connector}: the columns not declared are listed and dropped`)
    const rows = [...files.marriage.values()].reduce((n, r) => n + r.length, 0)
    t.equal(s.rows, rows - files.marriageBad.length, `${s.connector}: every other row is loaded`)
    t.equal(s.actor, ADMIN.sub)
    t.ok(s.startedAt <= s.finishedAt, 'started, then finished')
  }
  await checkReport(t, 'marriage', utf8.id, files.marriageBad)
  await checkReport(t, 'marriage-gb', gbk.id, files.marriageBad)
})

t.test('every readable person gets the answers the source data gives, in both copies; ' +
  'the others get 409', async (t) => {
  const { refused, lost } = split(files.marriageBad)
  let answered = 0
  let refusals = 0
  for (const [i, p] of files.people.entries()) {
    if (lost.has(p.idNumber)) continue // an unreadable ID cannot be linked to its person (counted as unlinkable)
    const askedName = i % 3 === 0 ? files.people[(i + 1) % files.people.length]!.name : p.name
    const truth = marriageTruth(files.marriage.get(p.idNumber) ?? [], askedName)
    for (const c of ['marriage', 'marriage-gb']) {
      const got = await ask({ idNumber: p.idNumber, name: askedName }, MARRIAGE_QUESTIONS.map((q) => ({
        id: `${c}.${q.suffix}`, ...(q.params ? { params: { date: BEFORE } } : {})
      })))
      if (refused.has(p.idNumber)) {
        if (got !== '409 SUBJECT_DATA_UNREADABLE') t.fail(`${c}: person ${i} is behind a rejected row: ${String(got)}`)
        refusals++
      } else {
        if (JSON.stringify(got) !== JSON.stringify(truth)) {
          t.fail(`${c}: person ${i}: ${JSON.stringify(got)} where the source says ${JSON.stringify(truth)}`)
        }
        answered++
      }
    }
  }
  t.equal(refusals, 2 * refused.size, 'every person behind a rejected row is refused, in both copies')
  t.ok(answered > 600, `${answered} answers checked against the source`)
})

t.test('a load that fails on its reject ratio keeps its record and its full report', async (t) => {
  const res = await admin('PUT', `/v1/connectors/property-strict/snapshot?asOf=${YESTERDAY}`, files.propertyNdjson,
    { 'content-type': 'application/x-ndjson' })
  t.equal(res.statusCode, 422)
  const problem = res.json()
  t.equal(problem.code, 'REJECT_RATIO_EXCEEDED')
  t.equal(problem.rejectedCount, files.propertyBad.length)
  const [attempt] = (await admin('GET', '/v1/connectors/property-strict/snapshots')).json().snapshots
  t.equal(attempt.id, problem.snapshot, 'the problem names the attempt')
  const n = files.propertyBad.length
  t.match(attempt, {
    status: 'failed',
    error: 'REJECT_RATIO_EXCEEDED',
    actor: ADMIN.sub,
    rejectedCount: n,
    rejectedByCode: { INVALID_VALUE: n }
  })
  t.equal(attempt.rejected.length, files.propertyBad.length, 'the failed attempt lists its rejected rows')
  t.ok(typeof attempt.startedAt === 'string' && typeof attempt.finishedAt === 'string', 'with its start and end')
  await checkReport(t, 'property-strict', attempt.id, files.propertyBad)
})

t.test('the real-estate register as NDJSON with Chinese keys: property.none is never yes for a person ' +
  'behind a bad row', async (t) => {
  const s = await put('property', files.propertyNdjson, 'application/x-ndjson')
  const { refused } = split(files.propertyBad)
  t.ok(refused.size >= 3)
  t.equal(s.rejectedCount, files.propertyBad.length)
  t.equal(s.unreadableSubjects, refused.size)
  t.equal(s.unlinkableRows, 0)
  await checkReport(t, 'property', s.id, files.propertyBad)
  let checked = 0
  for (const [i, p] of files.people.entries()) {
    const recs = files.property.get(p.idNumber) ?? []
    const cert = recs.length > 0 && i % 2 === 0 ? recs[0]!.cert : `京(2020)朝阳区不动产权第9${i}号`
    const got = await ask(p, [
      { id: 'property.none' }, { id: 'property.area', params: { min: 100 } }, { id: 'property.cert', params: { cert } }
    ])
    const want = refused.has(p.idNumber) ? '409 SUBJECT_DATA_UNREADABLE' : propertyTruth(recs, cert)
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      t.fail(`person ${i}: ${JSON.stringify(got)} where the source says ${JSON.stringify(want)}`)
    }
    checked++
  }
  t.equal(checked, files.people.length, 'every person asked')
  const owner = files.people.find((p) => refused.has(p.idNumber))!
  const whole = await ask(owner, [{ id: 'marriage.married' }, { id: 'property.none' }])
  t.equal(whole, '409 SUBJECT_DATA_UNREADABLE',
    'a request with a question over a connector that cannot read the subject is refused whole')
})
