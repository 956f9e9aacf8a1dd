/**
 * `npm run bench`: every figure of bench/README.md in one run, against real PostgreSQL
 * (BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres).
 * Prints the results and writes them to bench/results/<date>.json.
 *
 *   BENCH_ROWS (1,000,000)     records for the verification and loading benchmarks
 *   BENCH_LOOKUP_BIG (10,000,000) records for the lookup-scaling run (BENCH_SKIP_BIG=1 skips it)
 *   BENCH_SECONDS (10)         seconds per autocannon run
 *   BENCH_ROUNDS (3)           interleaved rounds of the verification runs (medians and spreads)
 *   BENCH_SKEW_ROWS (300,000)  rows of each connector of the skewed-snapshot pair
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { scratchDatabase } from './db.ts'
import { loadBench, loadSkew, registerBench } from './setup.ts'
import { cpuBudget, ratioLine, RUN, verificationBench } from './verification.ts'
import { loadingBench } from './loading.ts'
import { pullBench } from './pull.ts'
import { lookupBench } from './lookup.ts'
import { auditBench } from './audit.ts'
import { batchBench } from './batch.ts'
import { agentBench } from './agent.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const SKEW_ROWS = Number(process.env.BENCH_SKEW_ROWS ?? 300_000)
const BIG = Number(process.env.BENCH_LOOKUP_BIG ?? 10_000_000)
const lines: string[] = []
const log = (line: string): void => { lines.push(line); console.log(line) }

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
  `node ${process.version}`
log(`# shifou benchmark — ${new Date().toISOString()} — ${machine}`)
const results: Record<string, unknown> = { date: new Date().toISOString(), machine, rows: ROWS }

const db = await scratchDatabase(4)
try {
  await registerBench(db.database)
  const seconds = await loadBench(db.database, ROWS)
  log(`population: ${ROWS.toLocaleString('en')} records loaded in ${seconds.toFixed(1)} s`)
  await loadSkew(db.database, SKEW_ROWS)
  log(`skewed-snapshot pair: ${SKEW_ROWS.toLocaleString('en')} rows in each of clean and skewed`)
  log('\n## Verification throughput (64 connections, interleaved rounds: median (min–max))')
  const v = await verificationBench(db.url, ROWS, log)
  results.verification = v
  log(`ratio to the lookup ceiling: ${ratioLine(v.rounds, RUN.full1, RUN.ceiling)} (target ≥ 0.35, goal 0.5); ` +
    `to the bare route: ${ratioLine(v.rounds, RUN.full1, RUN.bare)}; ` +
    `limits cost: ${ratioLine(v.rounds, RUN.full1, RUN.limitsOff)}× of limits-off throughput`)
  log(`p50 with a skewed snapshot / with a clean one: ${ratioLine(v.rounds, RUN.skewed, RUN.clean, (r) => r.p50)} ` +
    '(target ≤ 1.2)')
  const notMeasured = 'CPU per answer: not measured (it needs Linux\'s /proc, and PostgreSQL on this machine)'
  for (const line of cpuBudget(v) ?? [notMeasured]) log(line)
  log('\n## A household: one batch against five single requests')
  results.batch = await batchBench(db.url, ROWS, Number(process.env.BENCH_SECONDS ?? 10), log)
  log('\n## Over a department agent: the same population, asked live (rounds alternate the order)')
  results.agent = await agentBench(db.url, Math.min(ROWS, Number(process.env.BENCH_AGENT_ROWS ?? 100_000)),
    Number(process.env.BENCH_SECONDS ?? 10), log, db.database)
  log('\n## Loading')
  results.loading = await loadingBench(db.url, ROWS, log)
  log('\n## Pulling from a department\'s database')
  results.pull = await pullBench(ROWS, log)
} finally {
  await db.drop()
}
log('\n## Lookup scaling')
results.lookup = process.env.BENCH_SKIP_BIG === undefined ? await lookupBench(100_000, BIG, log) : 'skipped'
log('\n## Audit log')
results.audit = await auditBench()

mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
const file = new URL(`./results/${new Date().toISOString().slice(0, 10)}.json`, import.meta.url)
writeFileSync(file, JSON.stringify({ ...results, log: lines }, null, 2) + '\n')
console.log('\nwritten to ' + file.pathname)
