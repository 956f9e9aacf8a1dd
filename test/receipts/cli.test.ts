/**
 * `shifou receipt verify` and `shifou keys rotate`, run as a user runs them (node bin/shifou.js):
 * exit 0 for a valid receipt, 1 with the reason for an invalid one (a changed character, a wrong
 * ID or nonce, an entry that is not in the log), 2 for bad usage, 3 when it could not be checked (the
 * service unreachable, or refusing the token); --proof checks the audit entry
 * and its inclusion proof against a running service.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build, ADMIN, AUDITOR, CALLER, TEST_CHECKPOINT_SEED, TEST_MASTER, TEST_SECRET } from '../helpers/app.ts'
import { callerOf } from '../helpers/claims.ts'
import { createTestDatabase, databaseUrl } from '../helpers/db.ts'
import { DEMO_PURPOSE, loadDemo } from '../../src/demo/demo.ts'
import { openDatabase } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { Keyring } from '../../src/keys/keyring.ts'
import { WRAP_KEY_INFO, ensureCurrentKey, listSigningKeys } from '../../src/receipts/keys.ts'
import { receipt as receiptCommand } from '../../src/cli/receipt.ts'

const root = new URL('../..', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'shifou-cli-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

interface Run { code: number | null, stdout: string, stderr: string }

/** Runs the CLI with a clean environment (plus `env`). */
async function shifou (args: string[], env: Record<string, string> = {}): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/shifou.js'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

t.test('receipt verify', async (t) => {
  const { app, database, keyring, verified, token, as } = await build(t)
  const { people } = await loadDemo(database, keyring, 20)
  const person = people[3]!
  const { answers } = await verified(CALLER, {
    idNumber: person.idNumber,
    questions: { id: 'tax.paid_in_year', params: { year: 2025 } },
    caseId: 'CLI-1'
  })
  const { receipt, nonce, auditIndex } = answers[0]!
  const jwksFile = join(dir, 'jwks.json')
  writeFileSync(jwksFile, (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).body)

  const i = receipt.lastIndexOf('.') + 10
  const tampered = receipt.slice(0, i) + (receipt[i] === 'A' ? 'B' : 'A') + receipt.slice(i + 1)
  const emptyJwks = join(dir, 'empty.json')
  writeFileSync(emptyJwks, '{"keys":[]}')
  // Separate processes, started together: each pays for its own start-up of Node and tsx.
  const [ok, bad, subject, otherId, otherNonce, usage, unknown] = await Promise.all([
    shifou(['receipt', 'verify', receipt, '--jwks', jwksFile]),
    shifou(['receipt', 'verify', tampered, '--jwks', jwksFile]),
    shifou(['receipt', 'verify', receipt, '--jwks', jwksFile, '--id-number', person.idNumber, '--nonce=' + nonce]),
    shifou(['receipt', 'verify', receipt, '--jwks', jwksFile, '--id-number', people[4]!.idNumber, '--nonce=' + nonce]),
    shifou([
      'receipt',
      'verify',
      receipt,
      '--jwks',
      jwksFile,
      '--id-number',
      person.idNumber,
      '--nonce=AAAAAAAAAAAAAAAAAAAAAA'
    ]),
    shifou(['receipt', 'verify', receipt, '--jwks', jwksFile, '--id-number', person.idNumber]),
    shifou(['receipt', 'verify', receipt, '--jwks', emptyJwks])
  ])
  t.equal(ok.code, 0, ok.stdout + ok.stderr)
  t.match(ok.stdout, /signature: valid \(EdDSA, key /)
  t.match(ok.stdout, new RegExp(`audit index ${auditIndex} in test.shifou.local/audit`))
  t.match(ok.stdout, /VALID\n$/)

  t.equal(bad.code, 1, 'a changed character: exit 1')
  t.match(bad.stdout, /^INVALID: bad signature/m)

  t.equal(subject.code, 0, subject.stdout)
  t.match(subject.stdout, /subject: the receipt is about this ID number/)
  t.equal(otherId.code, 1, 'another ID: exit 1')
  t.match(otherId.stdout, /INVALID: the subject commitment does not match/)
  t.notOk(otherId.stdout.includes(people[4]!.idNumber), 'the ID is not echoed')
  t.equal(otherNonce.code, 1, 'another nonce: exit 1')
  t.equal(usage.code, 2, '--id-number without --nonce is a usage error')
  t.equal(unknown.code, 1)
  t.match(unknown.stdout, /INVALID: key .* is not published/)

  // Against the running service: the JWK Set from --url, and --proof.
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  await app.audit.checkpoint()
  const secret = { SHIFOU_JWT_SECRET: Buffer.from(TEST_SECRET).toString('base64') }
  // Another registered, active client (an unregistered one is refused before, CLIENT_INACTIVE).
  const other = { id: 'someone-else', name: 'Other', questions: ['tax.paid_in_year'], purposes: [DEMO_PURPOSE] }
  t.equal((await as(ADMIN)('POST', '/v1/clients', other)).statusCode, 201)
  const [proof, minted, stranger, noToken] = await Promise.all([
    shifou(['receipt', 'verify', receipt, '--url', url, '--proof', '--token', token(CALLER)]),
    shifou(['receipt', 'verify', receipt, '--url', url, '--proof'], secret),
    shifou(['receipt', 'verify', receipt, '--url', url, '--proof', '--token', token(callerOf('someone-else'))]),
    shifou(['receipt', 'verify', receipt, '--url', url, '--proof'])
  ])
  t.equal(proof.code, 0, proof.stdout + proof.stderr)
  t.match(
    proof.stdout,
    new RegExp(`audit: entry ${auditIndex} matches the receipt and is in the log, ` +
      'checkpoint of \\d+ entries signed by test.shifou.local/audit')
  )
  t.equal(minted.code, 0, 'a caller token minted from SHIFOU_JWT_SECRET: ' + minted.stdout + minted.stderr)
  t.equal(stranger.code, 3, 'another caller may not read the entry: not checked, which is no verdict')
  t.match(stranger.stdout, /UNCHECKED: fetching audit entry \d+: the service answered 403 FORBIDDEN/)
  t.match(stranger.stderr, /needs the token of the caller that asked \(client demo-housing\) or an auditor's: give it/)
  t.equal(noToken.code, 2, '--proof without any way to a token is a usage error')

  // A validly signed receipt whose index points at another entry fails --proof (called in-process).
  const lines: string[] = []
  const io = { out: (l: string) => lines.push(l), env: { SHIFOU_TOKEN: token(AUDITOR) } }
  t.equal(await receiptCommand(['verify', receipt, '--url', url, '--proof'], io), 0, lines.join('\n'))
  const [h, p] = receipt.split('.')
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString())
  const { signReceipt } = await import('../../src/receipts/receipt.ts')
  const key = (await app.receipts.signer())!
  const moved = signReceipt({ ...claims, idx: auditIndex - 1 }, key)
  t.not(moved.split('.')[0], undefined)
  t.equal(h, moved.split('.')[0])
  lines.length = 0
  t.equal(await receiptCommand(['verify', moved, '--url', url, '--proof'], io), 1)
  t.match(lines.at(-1), /INVALID: audit entry \d+ does not say what the receipt says/)

  await app.close()
  const offline = await shifou(['receipt', 'verify', receipt, '--url', url])
  t.equal(offline.code, 3, 'no service and no --jwks: exit 3, not checked')
  t.match(offline.stdout, new RegExp(`UNCHECKED: cannot reach the service at ${url}: connection refused`))
  t.match(offline.stderr, /Check --url\. Or check offline against a saved key set with --jwks FILE/)
})

t.test('keys rotate through the CLI', async (t) => {
  const env: Record<string, string> = {
    SHIFOU_MASTER_KEY: Buffer.from(TEST_MASTER).toString('base64'),
    SHIFOU_JWT_SECRET: Buffer.from(TEST_SECRET).toString('base64'),
    SHIFOU_CHECKPOINT_KEY: Buffer.from(TEST_CHECKPOINT_SEED).toString('base64')
  }
  let open: () => ReturnType<typeof openDatabase>
  if (databaseUrl !== null) {
    const created = await createTestDatabase()
    t.teardown(created.drop)
    env.DATABASE_URL = created.url
    open = async () => await openDatabase({ url: created.url, poolSize: 2 })
  } else {
    const dataDir = join(dir, 'data')
    env.SHIFOU_DATA_DIR = dataDir
    open = async () => await openDatabase({ url: null, dataDir })
  }
  const wrapKey = new Keyring(new Map([[1, TEST_MASTER]])).derive(WRAP_KEY_INFO)
  let database = await open()
  await migrate(database)
  const first = await ensureCurrentKey(database, wrapKey)
  await database.close()

  const run = await shifou(['keys', 'rotate', '--actor', 'ops-7'], env)
  t.equal(run.code, 0, run.stdout + run.stderr)
  t.match(run.stdout, new RegExp(`retired \\(still published for verification\\): ${first}`))
  const list = await shifou(['keys', 'list'], env)
  t.equal(list.code, 0, list.stderr)
  t.match(list.stdout, new RegExp(`${first}  retired`))

  database = await open()
  t.teardown(async () => { await database.close() })
  const keys = await listSigningKeys(database)
  t.same(keys.map((k) => k.status), ['retired', 'current'])
  t.match(run.stdout, new RegExp(`new current receipt key: ${keys[1]!.kid}`))
  const [entry] = await database.query<{ actor_sub: string, code: string }>(
    "select actor_sub, code from audit_entries where kind = 'change' order by index desc limit 1"
  )
  t.same(entry, { actor_sub: 'ops-7', code: 'ROTATE' }, 'the rotation is an audit entry')
  t.equal((await shifou(['keys', 'spin'], env)).code, 2, 'an unknown subcommand is a usage error')
})

t.test('load: a service that cannot be reached is an error at once, not a wait', async (t) => {
  // Nothing listens on a port just closed. The progress bar's timer once kept the command waiting
  // forever after a refused connection.
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  const file = join(dir, 'tiny.csv')
  writeFileSync(file, 'id_number,year,amount\n11010519491231002X,2025,100\n')
  const started = Date.now()
  const run = await shifou([
    'load',
    '--connector',
    'tax',
    '--as-of',
    '2026-11-27',
    '--url',
    `http://127.0.0.1:${port}`,
    '--token',
    'x',
    file
  ])
  t.equal(run.code, 1, run.stderr)
  t.match(run.stderr, new RegExp(`cannot reach the service at http://127.0.0.1:${port}: connection refused`))
  t.ok(Date.now() - started < 10_000, 'it ends within seconds')
})
