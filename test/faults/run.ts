/**
 * `npm run test:faults` (design §14.5, issue 19): shifou under load while PostgreSQL restarts,
 * stops, freezes, and while its own processes are killed or stopped, then every response joined
 * with the audit log. Not part of `npm test`: it takes a few minutes.
 *
 * It starts a private PostgreSQL cluster under /tmp on a spare port (never the shared server),
 * loads the benchmark population (bench/setup.ts), starts `shifou serve` on it, measures the
 * answers per second it sustains with 32 requests in flight, and drives every scenario
 * (scenarios.ts) at half that rate with a unique case id per request. Then it prints, per scenario,
 * the table of report.ts and checks the targets: A = D = H = 0, no status but 200 and 503, recovery
 * within 2 s of the database (or the service) being back, no request longer than the deadline plus
 * 1 s, and a log that verifies. It exits 1 if any is missed.
 *
 * Settings: FAULTS_TIMEOUT_MS (the service's SHIFOU_DB_TIMEOUT_MS, 5,000), FAULTS_RATE (requests
 * per second instead of half the capacity), FAULTS_ONLY (scenario names, comma-separated),
 * FAULTS_POPULATION (20,000 people).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { openDatabase } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { verifyLog } from '../../src/audit/log-check.ts'
import { ed25519SignerFromSeed as signerFromSeed } from '../../src/crypto/signed-note.ts'
import { loadBench, registerBench } from '../../bench/setup.ts'
import { createCluster, sparePort } from '../helpers/pg-cluster.ts'
import { Driver } from './driver.ts'
import { outcome, table, type LoggedAnswer, type Outcome } from './report.ts'
import { SCENARIOS, type Context } from './scenarios.ts'
import { CHECKPOINT_SEED, ORIGIN, startService } from './service.ts'

const TIMEOUT_MS = Number(process.env.FAULTS_TIMEOUT_MS ?? 5000)
const POPULATION = Number(process.env.FAULTS_POPULATION ?? 20_000)
const ONLY = (process.env.FAULTS_ONLY ?? '').split(',').filter((s) => s !== '')
const RECOVERY_S = 2
const say = (line: string): void => { process.stderr.write(line + '\n') }

const started = Date.now()
const cluster = await createCluster()
say(`PostgreSQL cluster on port ${cluster.port} in ${cluster.dir}`)
const services: Array<{ signal: (s: NodeJS.Signals) => void, exited: Promise<unknown> }> = []
let failed = false
try {
  const admin = postgres(cluster.url(), { max: 1, onnotice: () => {} })
  await admin.unsafe('create database shifou')
  await admin.end()
  const url = cluster.url('shifou')
  const setup = await openDatabase({ url, poolSize: 4 })
  await migrate(setup)
  await registerBench(setup)
  await loadBench(setup, POPULATION)
  await setup.close()
  say(`population of ${POPULATION} loaded`)

  const start = async (name: string, port?: number): Promise<Context['main']> => {
    const service = await startService({
      name,
      port: port ?? await sparePort(),
      databaseUrl: url,
      timeoutMs: TIMEOUT_MS,
      logFile: join(cluster.dir, `service-${name}.log`)
    })
    services.push(service)
    return service
  }
  const driver = new Driver({ population: POPULATION, clients: 16, giveUpMs: TIMEOUT_MS + 10_000 })
  const ctx: Context = { cluster, driver, rate: 0, main: await start('main'), start }
  await driver.closedLoop('warmup', ctx.main.port, 32, 2000)
  const capacity = await driver.closedLoop('capacity', ctx.main.port, 32, 5000)
  ctx.rate = Number(process.env.FAULTS_RATE ?? Math.max(20, Math.round(capacity / 2)))
  say(`capacity ${Math.round(capacity)} answers/s with 32 in flight; scenarios at ${ctx.rate} requests/s`)

  const marks = new Map<string, { back: number | null }>()
  for (const scenario of SCENARIOS) {
    if (ONLY.length > 0 && !ONLY.includes(scenario.name)) continue
    const t0 = Date.now()
    marks.set(scenario.name, await scenario.run(ctx))
    say(`${scenario.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  }
  driver.close()

  // The join: every answer entry of the suite's case ids, then per scenario.
  const database = await openDatabase({ url, poolSize: 2, timeoutMs: 60_000 })
  const entries = (await database.query<{ index: number, case_id: string, verification: string }>(
    `select index, case_id, verification from audit_entries where kind = 'answer' and case_id like 'F-%'`))
    .map((r): LoggedAnswer => ({ index: Number(r.index), caseId: r.case_id, verification: r.verification }))
  const signer = signerFromSeed(ORIGIN, CHECKPOINT_SEED)
  const verifier = { name: ORIGIN, publicKey: signer.publicKey }
  const verified = await verifyLog(database, { verifier, origin: ORIGIN })
  await database.close()

  const hungAfterMs = TIMEOUT_MS + 1000
  const rows: Outcome[] = [...marks].map(([name, m]) => outcome(name,
    driver.records.filter((r) => r.scenario === name),
    entries.filter((e) => e.caseId.startsWith(`F-${name}-`)), m, hungAfterMs))
  const misses: string[] = []
  for (const r of rows) {
    if (r.A > 0) misses.push(`${r.scenario}: ${r.A} answered without a committed entry`)
    if (r.D > 0) misses.push(`${r.scenario}: ${r.D} duplicates`)
    if (r.H > 0) misses.push(`${r.scenario}: ${r.H} hung requests`)
    if (r.other > 0) misses.push(`${r.scenario}: ${r.other} responses neither 200 nor 503`)
    if (r.recovery !== null && !(r.recovery <= RECOVERY_S)) {
      misses.push(`${r.scenario}: first answer ${r.recovery} s after recovery`)
    }
    if (r.longest > hungAfterMs / 1000) misses.push(`${r.scenario}: a request took ${r.longest.toFixed(2)} s`)
  }
  if (!verified.ok) misses.push(`the audit log does not verify: ${JSON.stringify(verified.problem)}`)

  const when = new Date().toISOString()
  const gib = Math.round(totalmem() / 2 ** 30)
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${gib} GiB, Node ${process.version}`
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  process.stdout.write([
    `Fault suite, ${when}, ${machine}; SHIFOU_DB_TIMEOUT_MS ${TIMEOUT_MS};` +
      ` capacity ${Math.round(capacity)} answers/s, load ${ctx.rate} requests/s`,
    '',
    table(rows),
    '',
    `audit log: ${verified.size} entries, ${verified.ok ? 'verifies' : 'DOES NOT VERIFY'}; ${seconds} s in all`,
    misses.length === 0 ? 'every target met' : 'targets missed:\n  ' + misses.join('\n  '),
    ''
  ].join('\n'))
  const dir = new URL('../../bench/results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const results = { when, machine, timeoutMs: TIMEOUT_MS, capacity, rate: ctx.rate, rows, verified: verified.ok,
    misses }
  writeFileSync(new URL(`faults-${when.slice(0, 10)}.json`, dir), JSON.stringify(results, null, 2) + '\n')
  failed = misses.length > 0
} catch (err) {
  failed = true
  process.stderr.write(`the fault suite could not run: ${(err as Error).stack ?? String(err)}\n`)
} finally {
  for (const s of services) s.signal('SIGKILL')
  await Promise.all(services.map(async (s) => await s.exited))
  if (process.env.FAULTS_KEEP === undefined) await cluster.destroy()
}
process.exit(failed ? 1 : 0)
