/**
 * A GB18030 file is decoded as it streams (design §14.1 "Encodings", §11 "memory flat in file
 * size"): Chinese headers and values, CRLF, 0.5% bad rows (so the reject report and the unreadable
 * markers are written as the load goes). The same load at 120,000 and at 480,000 rows: the process's
 * peak memory must not grow with the file. A sanity bound, not a benchmark (bench/ measures speed).
 */
import t from 'tap'
import v8 from 'node:v8'
import vm from 'node:vm'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { build, ADMIN } from '../helpers/app.ts'
import { databaseUrl } from '../helpers/db.ts'
import { encodeGb18030 } from '../fixtures/office-file.ts'
import { openDatabase, type Database } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { checkDigit } from '../../src/matchers/cn-resident-id.ts'

// A full GC before each sample, as in stream.test.ts: otherwise the measure is of V8's laziness.
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

// PGlite runs in this process: its data on disk, so that the records are not counted as the loader's.
let onDisk: Database | undefined
if (databaseUrl === null) {
  const dir = mkdtempSync(join(tmpdir(), 'shifou-gb-'))
  const db = await openDatabase({ url: null, dataDir: dir })
  onDisk = db
  t.teardown(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  await migrate(db)
}
const { app, database, token, as } = await build(t, onDisk === undefined ? {} : { database: onDisk })
const admin = as(ADMIN)
const AS_OF = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
for (const [url, body] of [
  ['/v1/departments', { id: 'civil', name: '民政局' }],
  ['/v1/connectors', {
    id: 'gb', department: 'civil', title: '婚姻登记', kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id', column: '公民身份号码' },
    fields: [
      { name: 'name', type: 'name', column: '姓名' },
      { name: 'status', type: 'string', column: '婚姻状况' },
      { name: 'registered', type: 'date', column: '登记日期' }
    ]
  }]
] as const) {
  const res = await admin('POST', url, body)
  if (res.statusCode !== 201) throw new Error(res.body)
}

const NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '阿依古丽・买买提']
function idNumber (i: number): string {
  const day = new Date(Date.UTC(1950, 0, 1) + (i % 20000) * 86400000).toISOString().slice(0, 10).replaceAll('-', '')
  const first17 = '440106' + day + String(Math.floor(i / 20000) % 1000).padStart(3, '0')
  return first17 + checkDigit(first17)
}

/** GB18030 bytes, 500 rows a chunk, generated as the loader pulls; one row in 200 has an impossible date. */
async function * file (rows: number): AsyncGenerator<Buffer> {
  yield encodeGb18030('公民身份号码,姓名,婚姻状况,登记日期\r\n')
  for (let start = 0; start < rows; start += 500) {
    let text = ''
    for (let i = start; i < start + 500; i++) {
      const date = i % 200 === 7 ? '2021年2月29日' : `20${10 + (i % 14)}年${1 + (i % 12)}月${1 + (i % 28)}日`
      text += `${idNumber(i)}, ${NAMES[i % NAMES.length]!} ,${i % 3 === 0 ? '已婚' : '未婚\u3000'},${date}\r\n`
    }
    if ((start / 500) % 10 === 0) await nextTurn()
    yield encodeGb18030(text)
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load (rows: number): Promise<{ growth: number, snapshot: Record<string, any> }> {
  gc()
  const before = process.memoryUsage().rss
  let max = before
  const sampler = setInterval(() => { gc(); max = Math.max(max, process.memoryUsage().rss) }, 200)
  try {
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/connectors/gb/snapshot?asOf=${AS_OF}`,
      headers: { authorization: 'Bearer ' + token(ADMIN), 'content-type': 'text/csv; charset=gb18030' },
      payload: Readable.from(file(rows))
    })
    if (res.statusCode !== 201) throw new Error(res.body.slice(0, 500))
    return { growth: max - before, snapshot: res.json().snapshot }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * The smaller load's rows: well past the rows after which a load converts on worker threads
 * (DEFAULT_WORKERS.afterRows, 50,000), so that both loads hold the workers' heaps. At 60,000 the
 * smaller load had barely started them, and the difference between the loads was 9–71 MB in five
 * runs, one of them over the bound; with both loads well past it, 21–31 MB in five.
 */
const SMALL = 120_000

t.test('a GB18030 load\'s memory does not grow with its file', async (t) => {
  const small = await load(SMALL)
  const large = await load(4 * SMALL)
  const mb = (n: number): number => Math.round(n / 1e6)
  t.comment(`${database.driver}: RSS +${mb(small.growth)} MB at ${SMALL} rows, ` +
    `+${mb(large.growth)} MB at ${4 * SMALL} rows`)
  for (const [rows, s] of [[SMALL, small.snapshot], [4 * SMALL, large.snapshot]] as const) {
    const bad = rows / 200
    const want = { status: 'active', rows: rows - bad, rejectedCount: bad, unreadableSubjects: bad, unlinkableRows: 0 }
    t.match(s, want, `${rows} rows`)
  }
  t.ok(large.growth < small.growth + 64 * 1024 * 1024,
    `four times the file, not more memory (+${mb(large.growth - small.growth)} MB)`)
  t.ok(large.growth < 250 * 1024 * 1024, 'within the bound of a loader with two worker threads')
  const report = await admin('GET', `/v1/connectors/gb/snapshots/${String(large.snapshot.id)}/rejects`)
  t.equal(report.body.trimEnd().split('\r\n').length, 1 + 4 * SMALL / 200, 'every rejected row is in the report')
  const answer = await as({ sub: 'x', role: 'admin' })('GET', '/v1/connectors/gb')
  t.equal(answer.json().activeSnapshot.id, large.snapshot.id)
})
