/**
 * At most `maxRecordsPerSubject` rows of one subject (design §14.1 "Bounded lookups"): a connector
 * setting, default 1,000; at load time the rows beyond, in the file's order, are rejected
 * TOO_MANY_RECORDS with their lines in the report, and the subject is unreadable (409, never
 * `no`). The loader counts rows per bucket of hashes (src/connectors/record-cap.ts); a subject
 * that only shares a bucket with one past the bound keeps every row.
 */
import t from 'tap'
import { build, ADMIN } from '../helpers/app.ts'
import { makePeople } from '../../src/demo/population.ts'
import type { TokenClaims } from '../../src/tokens.ts'
import { testDatabase } from '../helpers/db.ts'
import { createPartition, partitionName, preparePartition } from '../../src/connectors/records.ts'
import { RecordCap } from '../../src/connectors/record-cap.ts'

const { as } = await build(t)
const admin = as(ADMIN)
const caller = as({ sub: 'approvals', role: 'caller' } satisfies TokenClaims)
const YESTERDAY = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
const CSV = { 'content-type': 'text/csv' }

async function ok (res: { statusCode: number, body: string }, status: number): Promise<void> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}

const SUBJECT = { field: 'id_number', type: 'cn_resident_id' }
const FIELDS = [{ name: 'kind', type: 'string' }]
await ok(await admin('POST', '/v1/departments', { id: 'land', name: 'Land Bureau' }), 201)
await ok(await admin('POST', '/v1/connectors', {
  id: 'estate', department: 'land', title: 'estate', kind: 'file', subject: SUBJECT, fields: FIELDS,
  maxRejectRatio: 0.5, maxRecordsPerSubject: 2
}), 201)
await ok(await admin('POST', '/v1/connectors', {
  id: 'plain', department: 'land', title: 'plain', kind: 'file', subject: SUBJECT, fields: FIELDS
}), 201)
const QUESTIONS = [
  { id: 'estate.none', connector: 'estate', title: '无房', when: { not: { any: {} } } },
  { id: 'estate.commercial', connector: 'estate', title: '有商铺', when: { any: { kind: { eq: 'commercial' } } } }
]
for (const q of QUESTIONS) await ok(await admin('POST', '/v1/questions', q), 201)
await ok(await admin('POST', '/v1/clients', {
  id: 'approvals', name: 'Approvals', questions: QUESTIONS.map((q) => q.id), purposes: ['subsidy'],
  quotas: { subjectsPerDay: 100000, requestsPerMinute: 100000 }
}), 201)

const [many, two, one, other] = makePeople(4, 2026)
let cases = 0
async function ask (idNumber: string, question: string): Promise<string> {
  const res = await caller('POST', '/v1/verifications', {
    subject: { idNumber }, questions: [{ id: question }], purpose: 'subsidy', caseId: 'cap-' + ++cases
  })
  return res.statusCode === 200 ? res.json().answers[0].answer : `${res.statusCode} ${String(res.json().code)}`
}

t.test('the setting: default 1,000, bounded 1–10,000, kept on PUT when absent', async (t) => {
  t.equal((await admin('GET', '/v1/connectors/plain')).json().maxRecordsPerSubject, 1000)
  t.equal((await admin('GET', '/v1/connectors/estate')).json().maxRecordsPerSubject, 2)
  for (const bad of [0, 10001, 2.5, '3']) {
    const res = await admin('POST', '/v1/connectors', {
      id: 'bad', department: 'land', title: 'bad', kind: 'file', subject: SUBJECT, fields: FIELDS,
      maxRecordsPerSubject: bad
    })
    t.equal(res.statusCode, 400, `maxRecordsPerSubject ${JSON.stringify(bad)} is refused`)
  }
  const update = { department: 'land', title: 'plain', kind: 'file', subject: SUBJECT, fields: FIELDS }
  await ok(await admin('PUT', '/v1/connectors/plain', { ...update, maxRecordsPerSubject: 50 }), 200)
  await ok(await admin('PUT', '/v1/connectors/plain', update), 200)
  t.equal((await admin('GET', '/v1/connectors/plain')).json().maxRecordsPerSubject, 50)
})

t.test('rows beyond the bound are rejected TOO_MANY_RECORDS, in the file\'s order, and the person is refused',
  async (t) => {
    // Lines as the report counts them: the header is line 1.
    const file = 'id_number,kind\r\n' + [
      `${many!.idNumber},residential`, // 2
      `${two!.idNumber},residential`, // 3
      `${many!.idNumber},residential`, // 4
      `${one!.idNumber},residential`, // 5
      `${many!.idNumber},commercial`, // 6: beyond
      `${two!.idNumber},residential`, // 7
      `${many!.idNumber},commercial` // 8: beyond
    ].join('\r\n') + '\r\n'
    const res = await admin('PUT', `/v1/connectors/estate/snapshot?asOf=${YESTERDAY}`, file, CSV)
    t.equal(res.statusCode, 201, res.body)
    const s = res.json().snapshot
    t.equal(s.rows, 5, 'two rows of each of many and two, one of one')
    t.equal(s.rejectedCount, 2)
    t.same(s.rejectedByCode, { TOO_MANY_RECORDS: 2 })
    t.equal(s.unreadableSubjects, 1)
    t.same(s.rejected.map((r: { line: number, field: string, code: string }) => [r.line, r.field, r.code]),
      [[6, 'id_number', 'TOO_MANY_RECORDS'], [8, 'id_number', 'TOO_MANY_RECORDS']])
    t.match(s.rejected[0].reason, /more than 2 rows of one person/)
    const report = await admin('GET', `/v1/connectors/estate/snapshots/${String(s.id)}/rejects`)
    t.equal(report.statusCode, 200)
    const lines = report.body.replace(/^\ufeff/, '').trim().split(/\r?\n/)
    t.equal(lines[0], 'line,field,code,reason,column')
    t.same(lines.slice(1).map((l: string) => l.split(',').slice(0, 3).join(',')),
      ['6,id_number,TOO_MANY_RECORDS', '8,id_number,TOO_MANY_RECORDS'], 'every rejected line in the report')
    t.notOk(report.body.includes(many!.idNumber), 'the report holds no ID')

    t.equal(await ask(many!.idNumber, 'estate.none'), '409 SUBJECT_DATA_UNREADABLE', 'never "no property"')
    t.equal(await ask(many!.idNumber, 'estate.commercial'), '409 SUBJECT_DATA_UNREADABLE',
      'nor "no" from the first two rows (the commercial ones were beyond)')
    t.equal(await ask(two!.idNumber, 'estate.none'), 'no', 'exactly at the bound: answered')
    t.equal(await ask(one!.idNumber, 'estate.none'), 'no')
    t.equal(await ask(other!.idNumber, 'estate.none'), 'yes')

    // The next snapshot, with the duplicates gone: answered again.
    const fixed = 'id_number,kind\r\n' + `${many!.idNumber},commercial\r\n${two!.idNumber},residential\r\n`
    await ok(await admin('PUT', `/v1/connectors/estate/snapshot?asOf=${YESTERDAY}`, fixed, CSV), 201)
    t.equal(await ask(many!.idNumber, 'estate.commercial'), 'yes')
  })

t.test('a bound lowered after a load: the lookup refuses a subject with more rows than it allows', async (t) => {
  const file = 'id_number,kind\r\n' + `${one!.idNumber},a\r\n${one!.idNumber},b\r\n${two!.idNumber},a\r\n`
  await ok(await admin('PUT', `/v1/connectors/estate/snapshot?asOf=${YESTERDAY}`, file, CSV), 201)
  t.equal(await ask(one!.idNumber, 'estate.none'), 'no')
  const update = {
    department: 'land', title: 'estate', kind: 'file', subject: SUBJECT, fields: FIELDS, maxRejectRatio: 0.5
  }
  await ok(await admin('PUT', '/v1/connectors/estate', { ...update, maxRecordsPerSubject: 1 }), 200)
  t.equal(await ask(one!.idNumber, 'estate.none'), '409 SUBJECT_DATA_UNREADABLE')
  t.equal(await ask(two!.idNumber, 'estate.none'), 'no')
})

t.test('the bucket count: a subject sharing a bucket with one past the bound keeps its rows', async (t) => {
  const db = await testDatabase(t)
  const SNAP = 920_001
  await createPartition(db, SNAP)
  // Subjects A and B share the first 4 bytes (their bucket) and differ after; C is elsewhere.
  const hash = (second: number, fill: number): Buffer => {
    const h = Buffer.alloc(32, fill)
    h.writeInt32BE(0x01020304, 0)
    h.writeInt32BE(second, 4)
    return h
  }
  const A = hash(1, 0xa)
  const B = hash(2, 0xb)
  const C = Buffer.alloc(32, 0xc)
  const rows: Array<[number, Buffer]> = [[2, A], [3, A], [4, B], [5, A], [6, C], [7, B], [8, A], [9, B], [10, C]]
  const cap = new RecordCap(3, 'id')
  const tally: number[] = []
  for (const [line, h] of rows) tally.push(line, h.readInt32BE(0), h.readInt32BE(4))
  cap.add(Int32Array.from(tally))
  for (const [line, h] of rows) {
    await db.query(`insert into ${partitionName(SNAP)} (snapshot_id, subject_hash, key_version, attrs)
      values ($1, $2, 1, $3::jsonb)`, [SNAP, h, JSON.stringify({ line })])
  }
  const capped = await cap.apply(db, SNAP)
  t.equal(capped.subjects, 1, 'A alone has more than 3 rows')
  t.equal(capped.rows, 1)
  t.same(capped.rejected.map((r) => [r[0], r[2]]), [[8, 'TOO_MANY_RECORDS']],
    'A\'s fourth row, not B\'s rows in the hot bucket')
  const left = await db.query<{ h: Buffer, attrs: { line: number } | null }>(
    `select subject_hash as h, attrs from ${partitionName(SNAP)} order by ctid`)
  const of = (h: Buffer): unknown[] => left.filter((r) => r.h.equals(h))
    .map((r) => r.attrs === null ? 'marker' : r.attrs.line)
  t.same(of(A), [2, 3, 5, 'marker'], 'A keeps its first three rows and is marked')
  t.same(of(B), [4, 7, 9], 'B keeps every row')
  t.same(of(C), [6, 10])
  t.same(await preparePartition(db, SNAP, true), { subjects: 3, unreadable: 1 })

  const clean = new RecordCap(3, 'id')
  clean.add(Int32Array.from(tally.slice(0, 9)))
  t.same(await clean.apply(db, SNAP), { subjects: 0, rows: 0, rejected: [] }, 'nothing hot: nothing read')
})
