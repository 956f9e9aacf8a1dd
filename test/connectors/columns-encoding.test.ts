/**
 * Columns and encodings of a snapshot file (design §14.1 "Columns", "Encodings") and the reject
 * report's route: `column` on fields and on the subject (stored, shown, validated), headers matched
 * after trimming and NFC, DUPLICATE_COLUMN and MISSING_COLUMN with the file's columns, NDJSON keys
 * mapped the same way; `charset` on the upload (GB18030 and its names), INVALID_ENCODING naming
 * the line and suggesting gb18030, for CSV and NDJSON; the report as CSV, safe to open in a
 * spreadsheet, scoped to the connector's department, kept for the latest attempts.
 */
import t from 'tap'
import { Readable } from 'node:stream'
import { build, ADMIN, ISSUER, TEST_SECRET } from '../helpers/app.ts'
import { makePeople } from '../../src/demo/population.ts'
import { encodeGb18030 } from '../fixtures/office-file.ts'
import { REPORTS_KEPT } from '../../src/connectors/rejects.ts'
import { csvCell } from '../../src/csv.ts'
import { REASONS } from '../../src/connectors/values.ts'
import { csvRows, EncodingError } from '../../src/connectors/rows.ts'
import { mintToken, type TokenClaims } from '../../src/tokens.ts'

const { app, as } = await build(t)
const admin = as(ADMIN)
const YESTERDAY = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
const people = makePeople(30, 77)

async function ok (res: { statusCode: number, body: string }, status: number): Promise<void> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`)
}
await ok(await admin('POST', '/v1/departments', { id: 'civil', name: '民政局' }), 201)
await ok(await admin('POST', '/v1/departments', { id: 'other', name: 'Other' }), 201)

const SUBJECT = { field: 'id_number', type: 'cn_resident_id', column: '公民身份号码' }
const FIELDS = [
  { name: 'name', type: 'name', column: '姓名' },
  { name: 'status', type: 'string', column: '婚姻状况' },
  { name: 'married_on', type: 'date', column: '登记日期' }
]
const connector = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ id, department: 'civil', title: id, kind: 'file', subject: SUBJECT, fields: FIELDS, ...extra })

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Res = { statusCode: number, body: string, json: () => any }
const put = async (c: string, body: string | Buffer | Readable, type = 'text/csv'): Promise<Res> =>
  await app.inject({
    method: 'PUT',
    url: `/v1/connectors/${c}/snapshot?asOf=${YESTERDAY}`,
    headers: { authorization: 'Bearer ' + mintToken(TEST_SECRET, ISSUER, ADMIN, 600), 'content-type': type },
    payload: body
  })

/** A buffer in pieces of `size` bytes (cut inside characters and lines). */
const cut = (b: Buffer, size: number): Buffer[] =>
  Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size))
const csv = (header: string, rows: string[]): string => header + '\r\n' + rows.map((r) => r + '\r\n').join('')
const personRows = people.map((p, i) => `${p.idNumber},${p.name},${i % 2 === 0 ? '已婚' : '未婚'},2020/1/${1 + (i % 28)}`)

await ok(await admin('POST', '/v1/connectors', connector('marriage', { maxRejectRatio: 0.5 })), 201)
const MARRIAGE_QUESTIONS = [
  ['married', { any: { status: { eq: '已婚' } } }],
  ['since', { any: { married_on: { gte: '2020-01-15' } } }]
] as const
for (const [id, when] of MARRIAGE_QUESTIONS) {
  await ok(await admin('POST', '/v1/questions', { id: 'marriage.' + id, connector: 'marriage', title: id, when }), 201)
}
await ok(await admin('POST', '/v1/clients', {
  id: 'asker', name: 'asker', questions: ['marriage.married', 'marriage.since'], purposes: ['p']
}), 201)
let cases = 0
const ask = async (idNumber: string): Promise<string> => {
  const res = await as({ sub: 'asker', role: 'caller' })('POST', '/v1/verifications', {
    subject: { idNumber },
    questions: [{ id: 'marriage.married' }, { id: 'marriage.since' }],
    purpose: 'p',
    caseId: 'k' + ++cases
  })
  if (res.statusCode !== 200) return String(res.statusCode)
  return res.json().answers.map((a: { answer: string }) => a.answer).join(',')
}
const truth = (i: number): string => `${i % 2 === 0 ? 'yes' : 'no'},${1 + (i % 28) >= 15 ? 'yes' : 'no'}`

t.test('registration: column on the subject and fields is stored and shown; bad columns are refused', async (t) => {
  const note = { name: 'note', type: 'string' }
  const res = await admin('POST', '/v1/connectors', connector('reg', { fields: [...FIELDS, note] }))
  t.equal(res.statusCode, 201, res.body)
  t.same(res.json().subject, SUBJECT)
  t.same(res.json().fields, [...FIELDS, note], 'a field without column shows none (its name is its column)')
  t.same((await admin('GET', '/v1/connectors/reg')).json().subject, SUBJECT, 'GET shows it')
  const changed = await admin('PUT', '/v1/connectors/reg', {
    ...connector('reg'), id: undefined, subject: { ...SUBJECT, column: '身份证号' }
  })
  t.equal(changed.statusCode, 200, changed.body)
  t.equal(changed.json().subject.column, '身份证号', 'the subject\'s column may change (its field and type may not)')
  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['blank', { fields: [{ name: 'a', type: 'string', column: ' \u3000' }] }, /empty once trimmed/],
    ['two fields, one column', {
      fields: [{ name: 'a', type: 'string', column: '备注' }, { name: 'b', type: 'string', column: ' 备注 ' }]
    }, /same column/],
    ['a column named like another field', {
      fields: [{ name: 'a', type: 'string', column: 'b' }, { name: 'b', type: 'string' }]
    }, /same column/],
    ['the subject\'s column', { fields: [{ name: 'a', type: 'string', column: '公民身份号码' }] }, /same column as subject/],
    ['a line break', { fields: [{ name: 'a', type: 'string', column: '备\n注' }] }, /control character/],
    ['too long', { fields: [{ name: 'a', type: 'string', column: '长'.repeat(201) }] }, /longer than 200/]
  ]
  for (const [label, extra, detail] of refusals) {
    const r = await admin('POST', '/v1/connectors', connector('bad-' + label.length, extra))
    t.equal(r.statusCode, 400, label)
    t.equal(r.json().code, 'INVALID_DEFINITION', label)
    t.match(r.json().detail, detail, label)
  }
  const empty = await admin('POST', '/v1/connectors', connector('bad-empty', {
    fields: [{ name: 'a', type: 'string', column: '' }]
  }))
  t.equal(empty.json().code, 'INVALID_BODY', 'an empty column is refused by the schema')
})

t.test('headers are matched after trimming and NFC, in any order, extra columns ignored', async (t) => {
  // Headers padded with spaces, U+3000 and TAB; a trailing comma makes a blank header.
  const res = await put('marriage', csv('\ufeff 备注 ,登记日期,\u3000公民身份号码,姓名\t,婚姻状况\u3000,', personRows.map((r) => {
    const [id, name, status, date] = r.split(',')
    return `"x, y",${date},${id},${name},${status},`
  })))
  t.equal(res.statusCode, 201, res.body)
  t.same(res.json().snapshot.ignoredColumns, ['备注'], 'the blank header of the trailing comma is not listed')
  for (const [i, p] of people.entries()) t.equal(await ask(p.idNumber), truth(i), `person ${i}`)
})

t.test('a decomposed header matches its declared column (NFC)', async (t) => {
  await ok(await admin('POST', '/v1/connectors', {
    id: 'accents',
    department: 'civil',
    title: 'a',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id', column: 'Numéro' },
    fields: []
  }), 201)
  const res = await put('accents', csv('Nume\u0301ro', [people[0]!.idNumber]))
  t.equal(res.statusCode, 201, res.body)
})

t.test('a header given twice is 400 DUPLICATE_COLUMN; MISSING_COLUMN lists the file\'s columns', async (t) => {
  const dup = await put('marriage', csv('公民身份号码,姓名,婚姻状况,登记日期, 姓名', [personRows[0] + ',x']))
  t.equal(dup.statusCode, 400)
  t.equal(dup.json().code, 'DUPLICATE_COLUMN')
  t.same(dup.json().duplicates, ['姓名'])
  t.match(dup.json().detail, /姓名/)
  const missing = await put('marriage', csv('id_number,姓名,婚姻状况,备注', [personRows[0]!]))
  t.equal(missing.statusCode, 400)
  t.equal(missing.json().code, 'MISSING_COLUMN')
  t.same(missing.json().missing, ['公民身份号码', '登记日期'])
  t.same(missing.json().columns, ['id_number', '姓名', '婚姻状况', '备注'], 'the columns the file has')
  t.match(missing.json().detail, /公民身份号码 \(id_number\).*The file's columns are: id_number, 姓名, 婚姻状况, 备注/)
  // A file without a header row: its first data row is not echoed.
  const headless = await put('marriage', personRows.slice(0, 3).map((r) => r + '\r\n').join(''))
  t.equal(headless.json().code, 'MISSING_COLUMN')
  t.notOk(headless.body.includes(people[0]!.idNumber), 'an ID in the first line is not put into the error')
  t.match(headless.json().detail, /is the first line the header row/)
})

t.test('NDJSON keys are mapped by column the same way', async (t) => {
  const nd = people.map((p, i) => JSON.stringify({
    [i % 2 === 0 ? '公民身份号码' : ' 公民身份号码\u3000']: p.idNumber,
    姓名: p.name,
    婚姻状况: i % 2 === 0 ? ' 已婚' : '未婚 ',
    登记日期: `2020年1月${1 + (i % 28)}日`,
    备注: 'x'
  })).join('\n')
  const res = await put('marriage', nd, 'application/x-ndjson')
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().snapshot.rows, people.length)
  t.same(res.json().snapshot.ignoredColumns, ['备注'])
  for (const [i, p] of people.entries()) t.equal(await ask(p.idNumber), truth(i), `person ${i}`)
  const twice = JSON.stringify({ 公民身份号码: people[0]!.idNumber, 婚姻状况: '已婚', ' 婚姻状况': '未婚' })
  const only = (p: { idNumber: string }): string => JSON.stringify({ 公民身份号码: p.idNumber })
  const r2 = await put('marriage', [twice, ...people.slice(1).map(only)].join('\n'), 'application/x-ndjson')
  t.equal(r2.statusCode, 400, 'two keys of the first object naming one column')
  t.equal(r2.json().code, 'DUPLICATE_COLUMN')
  const later = [only(people[1]!), twice, ...people.slice(2).map(only)]
  const r3 = await put('marriage', later.join('\n'), 'application/x-ndjson')
  t.equal(r3.statusCode, 201, r3.body)
  t.match(r3.json().snapshot.rejected, [{ line: 2, field: '', code: 'MALFORMED_ROW', reason: /two keys/ }],
    'in a later row: that row is refused')
  t.equal(await ask(people[0]!.idNumber), '409', 'and its subject is unreadable')
})

t.test('charset: gb18030, gbk and gb2312 decode as GB18030; CSV and NDJSON', async (t) => {
  const text = csv('公民身份号码,姓名,婚姻状况,登记日期', personRows)
  const gb = encodeGb18030(text)
  for (const charset of ['gb18030', 'GBK', 'gb2312', '"GB18030"']) {
    const res = await put('marriage', gb, `text/csv; charset=${charset}`)
    t.equal(res.statusCode, 201, charset + ': ' + res.body)
    t.equal(res.json().snapshot.rows, people.length, charset)
  }
  for (const [i, p] of people.entries()) t.equal(await ask(p.idNumber), truth(i), `person ${i}`)
  const objects = people.map((p) => JSON.stringify({ 公民身份号码: p.idNumber, 姓名: p.name, 婚姻状况: '已婚' }))
  const nd = encodeGb18030(objects.join('\r\n'))
  const res = await put('marriage', nd, 'application/x-ndjson;charset=gb18030')
  t.equal(res.statusCode, 201, res.body)
  t.equal(await ask(people[1]!.idNumber), 'yes,no')
  const utf8 = await put('marriage', Buffer.from(text), 'text/csv; charset=UTF-8')
  t.equal(utf8.statusCode, 201, 'utf-8 named explicitly')
  const unsupported = await put('marriage', Buffer.from(text), 'text/csv; charset=latin1')
  t.equal(unsupported.statusCode, 415)
  t.match(unsupported.json().detail, /utf-8.*gb18030/)
})

t.test('INVALID_ENCODING names the line and suggests gb18030; streamed in pieces, the line is right', async (t) => {
  const before = await ask(people[0]!.idNumber)
  const lines = ['公民身份号码,姓名,婚姻状况,登记日期', ...Array.from({ length: 3000 }, (_, i) => personRows[i % personRows.length]!)]
  const gb = encodeGb18030(lines.join('\r\n') + '\r\n')
  const asUtf8 = await put('marriage', gb)
  t.equal(asUtf8.statusCode, 400)
  t.equal(asUtf8.json().code, 'INVALID_ENCODING')
  t.equal(asUtf8.json().line, 1, 'the header is the first line not in UTF-8')
  t.match(asUtf8.json().detail, /not valid UTF-8 at line 1.*charset=gb18030.*--encoding gb18030/)
  // UTF-8 up to line 2500, then one GB18030 line.
  const mixed = Buffer.concat([
    Buffer.from(lines.slice(0, 2500).join('\r\n') + '\r\n'),
    encodeGb18030(lines[2500]! + '\r\n'),
    Buffer.from(lines.slice(2501).join('\r\n'))
  ])
  const deep = await put('marriage', mixed)
  t.equal(deep.json().code, 'INVALID_ENCODING')
  t.equal(deep.json().line, 2501, 'the line of the first bad bytes, far into the file')
  // The reader, fed in pieces of 1 to 1,000 bytes (cut inside characters and lines), names the same line.
  for (const size of [1, 7, 1000]) {
    const pieces = Readable.from(cut(mixed, size))
    const err = await (async () => {
      try {
        const source = await csvRows(pieces)
        for await (const batch of source.batches) void batch
      } catch (e) { return e }
      return null
    })()
    const line = (err as EncodingError | null)?.line
    t.ok(err instanceof EncodingError && line === 2501, `in pieces of ${size} bytes: line ${String(line)}`)
  }
  const whole = await csvRows(Readable.from(cut(gb, 7)), 'gb18030')
  let rows = 0
  for await (const batch of whole.batches) for (const r of batch) rows += r.kind === 'csvLines' ? r.count : 1
  t.equal(rows, 3000, 'GB18030 in pieces of 7 bytes: every line read')
  t.same(whole.columns, ['公民身份号码', '姓名', '婚姻状况', '登记日期'])
  const nd = Buffer.concat([
    Buffer.from(JSON.stringify({ 公民身份号码: people[0]!.idNumber }) + '\n\n'),
    encodeGb18030(JSON.stringify({ 公民身份号码: people[1]!.idNumber, 姓名: '张三' }) + '\n')
  ])
  const ndBad = await put('marriage', nd, 'application/x-ndjson')
  t.equal(ndBad.json().code, 'INVALID_ENCODING')
  t.equal(ndBad.json().line, 3)
  t.match(ndBad.json().detail, /application\/x-ndjson; charset=gb18030/)
  // Declared GB18030 with bytes that are not: 0x81 0x20 is no GB18030 sequence.
  const broken = Buffer.concat([
    encodeGb18030(lines.slice(0, 10).join('\r\n') + '\r\n'), Buffer.from([0x81, 0x20]), Buffer.from('\r\n')
  ])
  const gbBad = await put('marriage', broken, 'text/csv; charset=gb18030')
  t.equal(gbBad.json().code, 'INVALID_ENCODING')
  t.equal(gbBad.json().line, 11)
  t.match(gbBad.json().detail, /not valid GB18030 at line 11/)
  const bom16 = Buffer.from([0xff, 0xfe])
  const utf16 = await put('marriage', Buffer.concat([bom16, Buffer.from(lines.slice(0, 3).join('\r\n'), 'utf16le')]))
  t.equal(utf16.json().code, 'INVALID_ENCODING')
  t.match(utf16.json().detail, /UTF-16/)
  t.equal(await ask(people[0]!.idNumber), before, 'nothing changed')
  const [attempt] = (await admin('GET', '/v1/connectors/marriage/snapshots')).json().snapshots
  t.match(attempt, { status: 'failed', error: 'INVALID_ENCODING' }, 'the attempt is recorded as failed')
})

t.test('the reject report: CSV that spreadsheets open safely, of this connector only, ' +
  'for its department', async (t) => {
  t.equal(csvCell('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"')
  t.equal(csvCell('+1'), "'+1")
  t.equal(csvCell('-1'), "'-1")
  t.equal(csvCell('@SUM(A1)'), "'@SUM(A1)")
  t.equal(csvCell('\tx'), "'\tx")
  t.equal(csvCell('a,b'), '"a,b"')
  t.equal(csvCell(12), '12')
  await ok(await admin('POST', '/v1/connectors', {
    id: 'inject',
    department: 'civil',
    title: 'i',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields: [{ name: 'amount', type: 'number', column: '=1+1' }], maxRejectRatio: 1
  }), 201)
  const res = await put('inject', csv('id_number,=1+1', [
    `${people[0]!.idNumber},=cmd|' /C calc'!A0`, `${people[1]!.idNumber},5`
  ]))
  t.equal(res.statusCode, 201, res.body)
  const id = res.json().snapshot.id
  const report = await admin('GET', `/v1/connectors/inject/snapshots/${id}/rejects`)
  t.equal(report.statusCode, 200)
  t.match(report.headers['content-disposition'], new RegExp(`rejects-inject-${id}\\.csv`))
  t.equal(report.body, '\ufeffline,field,code,reason,column\r\n2,amount,INVALID_VALUE,' +
  `"${REASONS.number}",'=1+1\r\n`)
  t.notOk(report.body.includes('cmd'), 'never the value')
  const statusOf = async (claims: TokenClaims, c = 'inject'): Promise<number> =>
    (await as(claims)('GET', `/v1/connectors/${c}/snapshots/${id}/rejects`)).statusCode
  t.equal(await statusOf(ADMIN, 'marriage'), 404, 'an attempt of another connector')
  t.equal((await admin('GET', '/v1/connectors/inject/snapshots/999999/rejects')).statusCode, 404)
  const stranger: TokenClaims = { sub: 'x', role: 'dept_admin', dept: 'other' }
  t.equal(await statusOf(stranger), 403, 'another department')
  t.equal(await statusOf({ sub: 'asker', role: 'caller' }), 403, 'a caller')
  const own: TokenClaims = { sub: 'y', role: 'dept_admin', dept: 'civil' }
  t.equal(await statusOf(own), 200, 'the department\'s admin')
})

t.test(`the reports of a connector's ${REPORTS_KEPT} latest attempts are kept`, async (t) => {
  await ok(await admin('POST', '/v1/connectors', {
    id: 'many',
    department: 'civil',
    title: 'm',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields: [{ name: 'n', type: 'integer' }],
    maxRejectRatio: 1
  }), 201)
  const ids: number[] = []
  for (let i = 0; i <= REPORTS_KEPT; i++) {
    const res = await put('many', csv('id_number,n', [`${people[0]!.idNumber},x`, `${people[1]!.idNumber},1`]))
    ids.push(res.json().snapshot.id)
  }
  const oldest = await admin('GET', `/v1/connectors/many/snapshots/${ids[0]}/rejects`)
  t.equal(oldest.statusCode, 404)
  t.match(oldest.json().detail, /no longer kept/)
  const latest = await admin('GET', `/v1/connectors/many/snapshots/${ids.at(-1)}/rejects`)
  t.match(latest.body, /\r\n2,n,INVALID_VALUE,/)
  const kept = await admin('GET', `/v1/connectors/many/snapshots/${ids[1]}/rejects`)
  t.equal(kept.statusCode, 200, 'the 20th latest is kept')
})
