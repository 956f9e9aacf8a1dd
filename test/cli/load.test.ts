/**
 * `shifou load` against a running service (design §5 CLI, §14.1): `--encoding gb18030` sends the
 * file's charset, the summary groups rejected rows by code and says where the full report is, and
 * `--report FILE` writes every rejected row — for a completed load and for a failed one.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { build, ADMIN } from '../helpers/app.ts'
import { encodeGb18030, officeFiles } from '../fixtures/office-file.ts'

const run = promisify(execFile)
const { app, as, token } = await build(t)
const admin = as(ADMIN)
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
if (address === null || typeof address === 'string') throw new Error('not listening')
const URL_ = `http://127.0.0.1:${address.port}`
const dir = mkdtempSync(join(tmpdir(), 'shifou-cli-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const YESTERDAY = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
const files = officeFiles(200, 21)
const col = files.columns

await admin('POST', '/v1/departments', { id: 'civil', name: '民政局' })
for (const [id, ratio] of [['marriage', 0.2], ['strict', 0]] as const) {
  const res = await admin('POST', '/v1/connectors', {
    id,
    department: 'civil',
    title: id,
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id', column: col.id },
    fields: [
      { name: 'name', type: 'name', column: col.name }, { name: 'status', type: 'string', column: col.status },
      { name: 'registered', type: 'date', column: col.registered },
      { name: 'valid', type: 'boolean', column: col.valid }
    ],
    maxRejectRatio: ratio
  })
  if (res.statusCode !== 201) throw new Error(res.body)
}
const gbFile = join(dir, '婚姻登记.csv')
writeFileSync(gbFile, encodeGb18030(files.marriageCsv))

// The command talks to the service over HTTP: it needs a token, not the database.
const childEnv: NodeJS.ProcessEnv = { ...process.env, SHIFOU_TOKEN: token(ADMIN), SHIFOU_DATA_DIR: dir }
delete childEnv.DATABASE_URL

async function shifou (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/shifou.js', ...args], {
      env: childEnv
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

function reportLines (path: string): Array<{ line: number, code: string }> {
  const text = readFileSync(path, 'utf8')
  t.ok(text.startsWith('\ufeffline,field,code,reason,column\r\n'), 'a UTF-8 report with a BOM and its header')
  return text.trimEnd().split('\r\n').slice(1).map((l) => ({ line: Number(l.split(',')[0]), code: l.split(',')[2]! }))
}

t.test('a GB18030 file with --encoding: loads, groups the rejects by code, writes the report', async (t) => {
  const report = join(dir, 'rejects.csv')
  const out = await shifou(['load', '--connector', 'marriage', '--as-of', YESTERDAY, '--url', URL_,
    '--encoding', 'gb18030', '--report', report, gbFile])
  t.equal(out.code, 0, out.stderr)
  t.match(out.stdout, /snapshot \d+ of marriage is active/)
  t.match(out.stdout, /rejected rows by code:\n(\s+[A-Z_]+\s+\d+\n)+/)
  const byCode = new Map<string, number>()
  for (const b of files.marriageBad) byCode.set(b.code, (byCode.get(b.code) ?? 0) + 1)
  for (const [code, n] of byCode) t.match(out.stdout, new RegExp(`\\s${code}\\s+${n}\\n`), `${code}: ${n}`)
  const where = `full report of rejected rows: ${report} (${files.marriageBad.length} rows)`
  t.ok(out.stdout.includes(where), 'where the report is')
  t.notMatch(out.stdout, /more listed in the report/)
  const bad = files.marriageBad.map((b) => ({ line: b.line, code: b.code }))
  t.same(reportLines(report), bad, 'every rejected line is in the file')
  for (const p of files.people) if (out.stdout.includes(p.idNumber)) t.fail('the summary holds an ID number')
})

t.test('without --encoding the GB18030 file is refused with the hint', async (t) => {
  const out = await shifou(['load', '--connector', 'marriage', '--as-of', YESTERDAY, '--url', URL_, gbFile])
  t.equal(out.code, 1)
  t.match(out.stderr, /400 INVALID_ENCODING\b[^]*line 1[^]*--encoding gb18030/)
})

t.test('a failed load still writes its report', async (t) => {
  const utf8 = join(dir, 'marriage-utf8.csv')
  writeFileSync(utf8, files.marriageCsv)
  const report = join(dir, 'failed.csv')
  const out = await shifou(['load', '--connector', 'strict', '--as-of', YESTERDAY, '--url', URL_,
    '--report', report, utf8])
  t.equal(out.code, 1)
  t.match(out.stderr, /422 REJECT_RATIO_EXCEEDED/)
  t.match(out.stdout, /rejected rows by code:/)
  t.equal(reportLines(report).length, files.marriageBad.length)
  const plain = await shifou(['load', '--connector', 'strict', '--as-of', YESTERDAY, '--url', URL_, utf8])
  t.match(plain.stdout, /every rejected row and why: add --report FILE, or GET \/v1\/connectors\/strict\/snapshots\//)
  t.match(plain.stdout, /\/snapshots\/\d+\/rejects\n/)
})

t.test('a bad --encoding is a usage error', async (t) => {
  const out = await shifou(['load', '--connector', 'marriage', '--as-of', YESTERDAY, '--url', URL_,
    '--encoding', 'latin1', gbFile])
  t.not(out.code, 0)
  t.match(out.stderr, /--encoding must be utf-8 or gb18030/)
})
