/**
 * Red-team findings on GET /v1/audit/export: CSV cells a caller chose (a case id such as
 * `=HYPERLINK(…)`) went out unescaped, and an export whose CSV query failed was logged and
 * audited as a successful export.
 */
import t from 'tap'
import { build, AUDITOR, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { loggerOptions } from '../../src/api/app.ts'
import { captureLog } from '../helpers/log-capture.ts'
import type { Database } from '../../src/db/client.ts'

const exportsOf = async (db: Database): Promise<Array<{ code: string | null }>> =>
  await db.query<{ code: string | null }>("select code from audit_entries where kind = 'export' order by index")

/** Overwrites an entry's canonical bytes, as a database superuser can (the append-only triggers off). */
async function corrupt (db: Database, index: number): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('alter table audit_entries disable trigger user')
    await tx.query("update audit_entries set entry = convert_to('{not json', 'UTF8') where index = $1", [index])
    await tx.query('alter table audit_entries enable trigger user')
  })
}

t.test('CSV exports carry caller-chosen cells such as =HYPERLINK(…) unescaped', async (t) => {
  const { database, keyring, as, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 10)
  const chosen = ['=HYPERLINK("http://evil.example/","open")', '+1+2', '-2+3', '@SUM(A1:A2)']
  for (const [i, caseId] of chosen.entries()) await verified(CALLER, { idNumber: people[i]!.idNumber, caseId })
  const res = await as(AUDITOR)('GET', '/v1/audit/export?format=csv')
  t.equal(res.statusCode, 200, res.body.slice(0, 300))
  const lines = res.body.split('\n')
  const caseColumn = lines[0]!.split(',').indexOf('case_id')
  t.ok(caseColumn > 0, 'the header names case_id')
  t.match(res.body, '"\'=HYPERLINK(""http://evil.example/"",""open"")"', 'quoted, quotes doubled, prefixed with \'')
  for (const caseId of chosen.slice(1)) t.match(res.body, `,'${caseId},`, `${JSON.stringify(caseId)} prefixed`)
  // No cell of any line starts like a formula (quoted cells are checked after their opening quote).
  for (const line of lines.slice(1)) {
    for (const cell of line.split(',')) t.notMatch(cell.replace(/^"/, ''), /^[=+\-@\t\r]/, 'cell: ' + cell)
  }
})

t.test('/v1/audit/export of a failing CSV query is logged as a successful export', async (t) => {
  const log = captureLog()
  const { app, database, keyring, as, verified } = await build(t, {
    logger: { ...loggerOptions('info'), stream: log.stream }
  })
  const { people } = await loadDemo(database, keyring, 10)
  await verified(CALLER, { idNumber: people[0]!.idNumber, caseId: 'EXPORT-1' })
  const auditor = as(AUDITOR)

  // The control: an export that works is one export entry, without a code.
  t.equal((await auditor('GET', '/v1/audit/export?format=csv')).statusCode, 200)
  t.same(await exportsOf(database), [{ code: null }])

  await t.test('failing after its first page: cut short, and audited and logged as failed', async (t) => {
    // More than a page (1,000 entries) before the corrupted one, so that the export is streaming when it fails.
    const actor = { sub: 'ops-1', role: 'admin' }
    const filler = Array.from({ length: 1100 }, () => ({ kind: 'change' as const, actor }))
    await app.audit.append(filler)
    const size = (await database.query<{ size: string }>('select count(*) as size from audit_entries'))[0]!.size
    await corrupt(database, Number(size) - 5)
    let complete: boolean
    try {
      const res = await auditor('GET', '/v1/audit/export?format=csv&from=2000-01-01T00:00:00Z')
      // A response whose stream failed: whatever arrived lacks the entries after the failure.
      complete = res.body.split('\n').length > Number(size)
    } catch {
      complete = false
    }
    t.notOk(complete, 'the client does not get a complete file')
    t.same(await exportsOf(database), [{ code: null }, { code: null }, { code: 'EXPORT_FAILED' }],
      'the export is followed by an entry saying it failed')
    t.ok(log.lines.some((l) => l.msg === 'audit export failed while streaming' && l.level === 50), 'an error line')
  })

  await t.test('failing on its first page: refused, no export entry, logged as an error', async (t) => {
    const before = (await exportsOf(database)).length
    await corrupt(database, 2)
    const res = await auditor('GET', '/v1/audit/export?format=csv')
    t.equal(res.statusCode, 500)
    t.equal(res.json().code, 'INTERNAL')
    t.equal((await exportsOf(database)).length, before, 'no export entry')
    const done = log.lines.filter((l) => l.msg === 'request completed' && (l.res as { statusCode: number }).statusCode)
    t.equal((done[done.length - 1]!.res as { statusCode: number }).statusCode, 500, 'the request log says 500')
    t.ok(log.lines.some((l) => l.msg === 'unhandled error' && l.level === 50), 'an error line')
  })
})
