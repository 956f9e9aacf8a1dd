/**
 * `npm run bench`: every figure of bench/README.md in one run, against real PostgreSQL
 * (BENCH_DATABASE_URL, else DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres).
 * Prints the results and writes them to bench/results/<date>.json.
 *
 *   BENCH_ROWS (1,000,000)     records for the verification and loading benchmarks
 *   BENCH_LOOKUP_BIG (10,000,000) records for the lookup-scaling run (BENCH_SKIP_BIG=1 skips it)
 *   BENCH_SECONDS (10)         seconds per autocannon run
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { scratchDatabase } from './db.ts'
import { loadBench, registerBench } from './setup.ts'
import { cpuBudget, verificationBench } from './verification.ts'
import { loadingBench } from './loading.ts'
import { lookupBench } from './lookup.ts'
import { auditBench } from './audit.ts'
import { batchBench } from './batch.ts'

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
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
  log('\n## Verification throughput (64 connections)')
  const v = await verificationBench(db.url, ROWS, log)
  results.verification = v
  const oneQuestion = v.full['1']!.rps
  log(`ratio to the lookup ceiling: ${(oneQuestion / v.ceiling.rps).toFixed(2)} (target ≥ 0.5); ` +
    `to the bare route: ${(oneQuestion / v.bare.rps).toFixed(2)}; ` +
    `limits cost: ${(oneQuestion / v.limitsOff.rps).toFixed(2)}× of limits-off throughput`)
  const notMeasured = 'CPU per answer: not measured (it needs Linux\'s /proc, and PostgreSQL on this machine)'
  for (const line of cpuBudget(v) ?? [notMeasured]) log(line)
  log('\n## A household: one batch against five single requests')
  results.batch = await batchBench(db.url, ROWS, Number(process.env.BENCH_SECONDS ?? 10), log)
  log('\n## Loading')
  results.loading = await loadingBench(db.url, ROWS, log)
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
