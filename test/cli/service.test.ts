/**
 * Commands that talk to a running service, run as a user runs them (node bin/shifou.js) against
 * the real application listening on a random port: where they find it (--url, else SHIFOU_URL,
 * else http://127.0.0.1:$PORT), what they say when nothing listens there (the URL tried and how
 * to change it), how they show the service's refusals (code, detail, and what to do), and that a
 * closed standard output does not crash them.
 */
import t from 'tap'
import http from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, TEST_SECRET } from '../helpers/app.ts'
import { closedPort, shifou as run, type Run } from '../helpers/cli.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'

const dir = mkdtempSync(join(tmpdir(), 'shifou-cli-service-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const shifou = async (args: string[], env: Record<string, string> = {}, more = {}): Promise<Run> =>
  await run(args, { cwd: dir, env, timeoutMs: 60_000, ...more })
const SECRET = Buffer.from(TEST_SECRET).toString('base64')

const { app, database, keyring, as, token } = await build(t)
const { people } = await loadDemo(database, keyring, 20)
const asked = await as({ sub: DEMO_CLIENT, role: 'caller' })('POST', '/v1/verifications', {
  subject: { idNumber: people[2]!.idNumber },
  questions: [{ id: 'tax.paid_in_year', params: { year: 2025 } }],
  purpose: DEMO_PURPOSE,
  caseId: 'CLI-SERVICE-1'
})
const receipt = (asked.json() as { answers: Array<{ receipt: string }> }).answers[0]!.receipt
await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app.server.address() as { port: number }).port
const url = `http://127.0.0.1:${port}`
const closed = await closedPort()

const csv = (name: string, text: string): string => {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}
const good = csv('tax.csv', `id_number,year,amount\n${people[0]!.idNumber},2025,1200\n${people[1]!.idNumber},2025,80\n`)

t.test('receipt verify finds the service by PORT, SHIFOU_URL or --url, in that order of weakness', async (t) => {
  const byPort = await shifou(['receipt', 'verify', receipt], { PORT: String(port) })
  t.equal(byPort.code, 0, byPort.stdout + byPort.stderr)
  t.match(byPort.stdout, /VALID\n$/)
  const byUrl = await shifou(['receipt', 'verify', receipt], { SHIFOU_URL: url, PORT: String(closed) })
  t.equal(byUrl.code, 0, 'SHIFOU_URL wins over PORT: ' + byUrl.stdout + byUrl.stderr)
  const byFlag = await shifou(['receipt', 'verify', receipt, '--url', url],
    { SHIFOU_URL: `http://127.0.0.1:${closed}` })
  t.equal(byFlag.code, 0, '--url wins over SHIFOU_URL: ' + byFlag.stdout + byFlag.stderr)
})

t.test('a refused connection names the URL tried, where it came from and how to change it', async (t) => {
  const byPort = await shifou(['receipt', 'verify', receipt], { PORT: String(closed) })
  t.equal(byPort.code, 3, 'not checked: exit 3')
  const change = `The URL comes from PORT=${closed}; point at the service with --url URL, SHIFOU_URL=URL or PORT=N.`
  t.match(byPort.stdout, `UNCHECKED: cannot reach the service at http://127.0.0.1:${closed}: connection refused`)
  t.match(byPort.stderr, change)
  t.match(byPort.stderr, /Is the service running \(shifou serve\)\?/)
  t.match(byPort.stderr, /check offline against a saved key set with --jwks FILE/)

  const tax = ['load', '--connector', 'tax', '--as-of', '2026-01-01', good]
  const load = await shifou(tax, { PORT: String(closed), SHIFOU_TOKEN: 'x' })
  t.equal(load.code, 1)
  t.match(load.stderr, `shifou load: cannot reach the service at http://127.0.0.1:${closed}: connection refused`)
  t.match(load.stderr, change)

  const byEnv = await shifou(tax, { SHIFOU_URL: `http://127.0.0.1:${closed}/shifou`, SHIFOU_TOKEN: 'x' })
  t.equal(byEnv.code, 1)
  t.match(byEnv.stderr, `cannot reach the service at http://127.0.0.1:${closed}/shifou: connection refused`)
  t.match(byEnv.stderr, 'The URL comes from SHIFOU_URL; change it, or give --url URL.')

  const bad = await shifou(tax, { PORT: 'eighty', SHIFOU_TOKEN: 'x' })
  t.equal(bad.code, 2)
  t.match(bad.stderr, /PORT must be a port number from 1 to 65535 \(or give --url or SHIFOU_URL\)/)
})

t.test('load through PORT with a token minted from SHIFOU_JWT_SECRET', async (t) => {
  const r = await shifou(['load', '--connector', 'tax', '--as-of', '2026-01-01', good],
    { PORT: String(port), SHIFOU_JWT_SECRET: SECRET })
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^snapshot \d+ of tax is active: 2 rows, 2 subjects, 0 rejected, as of 2026-01-01\n/)
  const snapshots = await as({ sub: 'ops-1', role: 'admin' })('GET', '/v1/connectors/tax/snapshots')
  t.ok((snapshots.json() as { snapshots: Array<{ asOf: string, status: string }> }).snapshots
    .some((s) => s.asOf === '2026-01-01' && s.status === 'active'), 'the service has it')
})

t.test('the service\'s refusals: code, detail and what to do', async (t) => {
  const env = { SHIFOU_URL: url }
  const load = async (connector: string, bearer: string, file: string): Promise<Run> =>
    await shifou(['load', '--connector', connector, '--as-of', '2026-01-02', '--token', bearer, file], env)
  const unauthenticated = await load('tax', 'not-a-token', good)
  t.equal(unauthenticated.code, 1)
  const refusal = /^shifou load: loading \S*tax\.csv into tax: the service answered 401 UNAUTHENTICATED/m
  t.match(unauthenticated.stderr, refusal)
  t.match(unauthenticated.stderr, /give a valid one with --token or SHIFOU_TOKEN/)

  const otherDept = token({ sub: 'clerk-1', role: 'dept_admin', dept: 'realestate' })
  const forbidden = await load('tax', otherDept, good)
  t.equal(forbidden.code, 1)
  t.match(forbidden.stderr, /the service answered 403 FORBIDDEN/)
  t.match(forbidden.stderr, /Loading needs a token of role admin, or dept_admin whose dept claim is the department of/)
  t.match(forbidden.stderr, /department of connector tax\./)

  const admin = token({ sub: 'ops-1', role: 'admin' })
  const missing = await load('nosuch', admin, good)
  t.equal(missing.code, 1)
  t.match(missing.stderr, /the service answered 404 NOT_FOUND/)
  t.match(missing.stderr, /There is no connector nosuch: check its id/)

  const noAmount = csv('no-amount.csv', `id_number,year\n${people[0]!.idNumber},2025\n`)
  const column = await load('tax', admin, noAmount)
  t.equal(column.code, 1)
  t.match(column.stderr, /400 MISSING_COLUMN: Declared columns missing from the file: amount/)
  t.match(column.stderr, /name every declared field in the header row/)

  const rows = Array.from({ length: 10 }, (_, i) => `1101051949123100${i}9,2025,100`).join('\n')
  const rejects = csv('bad-ids.csv', `id_number,year,amount\n${rows}\n`)
  const ratio = await load('tax', admin, rejects)
  t.equal(ratio.code, 1)
  t.match(ratio.stderr, /422 REJECT_RATIO_EXCEEDED/)
  t.match(ratio.stderr, /Too many rows were rejected, so nothing changed/)
  t.match(ratio.stdout, /^ {4}line 2: id_number [A-Z_]+ — /m,
    'the rejected rows are listed by line, field, code and reason')
  t.notOk(ratio.stdout.includes('11010519491231000'), 'never the value')
})

t.test('a second load while one runs: 409 LOAD_IN_PROGRESS, and what to do', async (t) => {
  // A load whose body is still arriving holds the connector's load.
  const admin = token({ sub: 'ops-1', role: 'admin' })
  const slow = http.request(`${url}/v1/connectors/tax/snapshot?asOf=2026-01-03`, {
    method: 'PUT',
    headers: { authorization: 'Bearer ' + admin, 'content-type': 'text/csv', 'content-length': '1000000' }
  })
  slow.on('error', () => {})
  slow.write(`id_number,year,amount\n${people[0]!.idNumber},2025,1\n`)
  t.teardown(() => { slow.destroy() })
  for (let i = 0; i < 100; i++) {
    const sql = "select count(*)::int as n from snapshots where status = 'loading'"
    const [row] = await database.query<{ n: number }>(sql)
    if (row!.n > 0) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const r = await shifou(['load', '--connector', 'tax', '--as-of', '2026-01-03', '--token', admin, good],
    { SHIFOU_URL: url })
  t.equal(r.code, 1)
  t.match(r.stderr, /409 LOAD_IN_PROGRESS/)
  t.match(r.stderr, /Another load of tax is running: wait until it has finished, then load again/)
})

t.test('a closed standard output ends receipt verify with its own status and no stack trace', async (t) => {
  const closedOut = await shifou(['receipt', 'verify', receipt, '--url', url], {}, { closeStdout: true })
  t.equal(closedOut.code, 0, closedOut.stderr)
  t.equal(closedOut.stderr, '')
  const changed = receipt.slice(0, -2) + (receipt.endsWith('AA') ? 'BB' : 'AA')
  const invalid = await shifou(['receipt', 'verify', changed, '--url', url], {}, { closeStdout: true })
  t.equal(invalid.code, 1, 'an invalid receipt is still exit 1: ' + invalid.stderr)
  t.equal(invalid.stderr, '')
})
