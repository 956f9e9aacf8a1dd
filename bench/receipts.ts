/**
 * The cost of signing receipts (design §9), fixed parameters, one run, one database:
 *
 *   node --import tsx bench/receipts.ts
 *
 * POST /v1/verifications (one question per request, so requests/s = answers/s) against shifou
 * on real PostgreSQL with a loaded population (bench/setup.ts, 100,000 records by default,
 * BENCH_RECEIPT_ROWS), with receipts on and with receipts off (the app option `receipts: false`,
 * which exists for this benchmark only); everything else on (JWT, validation, limits, durable
 * audit). Each server runs in its own process (bench/server.ts), autocannon in this one: 10
 * connections, 10 s per run after a 2 s warm-up, on/off twice in alternation so that drift shows.
 * Besides answers/s, the server process's CPU time per answer (`measure`, from /proc), which
 * shows the signing cost even when throughput is bound by the database. Also: receipts signed per second through
 * node:crypto in this process, for scale.
 */
import { generateKeyPairSync } from 'node:crypto'
import { cpus, totalmem } from 'node:os'
import { publicJwk } from '../src/receipts/jwk.ts'
import { signReceipt } from '../src/receipts/receipt.ts'
import { databaseIsLocal, scratchDatabase } from './db.ts'
import { measure, startServer, type RunResult } from './http.ts'
import { CLIENTS, callerToken, loadBench, registerBench, verificationBodies } from './setup.ts'

const CONNECTIONS = 10
const SECONDS = 10
const ROWS = Number(process.env.BENCH_RECEIPT_ROWS ?? 100_000)

await main()

function signRate (): number {
  const { privateKey } = generateKeyPairSync('ed25519')
  const key = { kid: publicJwk(privateKey).kid, privateKey }
  const claims = {
    iss: 'bench.shifou.local/audit',
    iat: 1_795_900_000,
    log: 'bench.shifou.local/audit',
    idx: 123456,
    vid: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    q: 'tax.q0',
    p: { year: 2025 },
    a: 'yes' as const,
    asOf: '2026-11-01',
    snap: 1,
    pur: 'benchmark',
    case: 'B-1',
    cli: 'bench-0',
    sub_c: 'x'.repeat(43)
  }
  for (let i = 0; i < 2000; i++) signReceipt({ ...claims, idx: i }, key)
  const n = 20_000
  const started = process.hrtime.bigint()
  for (let i = 0; i < n; i++) signReceipt({ ...claims, idx: i }, key)
  return n / (Number(process.hrtime.bigint() - started) / 1e9)
}

async function main (): Promise<void> {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `node ${process.version}`
  console.log(`# receipts benchmark — ${new Date().toISOString()} — ${machine}`)
  console.log('receipt signing alone (JCS + Ed25519 + base64url, node:crypto): ' +
    `${Math.round(signRate()).toLocaleString('en')} receipts/s on one core`)
  const db = await scratchDatabase(4)
  try {
    await registerBench(db.database)
    const seconds = await loadBench(db.database, ROWS)
    console.log(`population: ${ROWS.toLocaleString('en')} records loaded in ${seconds.toFixed(1)} s; ` +
      `${CONNECTIONS} connections, ${SECONDS} s per run, 1 question per request`)
    const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
    const bodies = verificationBodies(ROWS, 1)
    const figures: Record<'on' | 'off', RunResult[]> = { on: [], off: [] }
    const cpu: Record<'on' | 'off', number[]> = { on: [], off: [] }
    let port = 18201
    for (const round of [1, 2]) {
      for (const receipts of [true, false]) {
        const server = await startServer(['service', db.url, ...(receipts ? [] : ['receipts=off'])], port++)
        const request = {
          url: server.url,
          method: 'POST' as const,
          path: '/v1/verifications',
          connections: CONNECTIONS,
          seconds: SECONDS,
          bodies,
          tokens
        }
        const r = await measure(server, request, databaseIsLocal(db.url) ? db.url : null)
        const cpuPerAnswer = r.cpu?.server ?? NaN
        await server.stop()
        figures[receipts ? 'on' : 'off'].push(r)
        cpu[receipts ? 'on' : 'off'].push(cpuPerAnswer)
        console.log(`round ${round}, receipts ${receipts ? 'on ' : 'off'}: ` +
          `${Math.round(r.rps).toLocaleString('en').padStart(6)} answers/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
          `errors ${r.errors}  non-2xx ${r.non2xx}  server CPU ${cpuPerAnswer.toFixed(0)} µs/answer`)
      }
    }
    const mean = (rs: RunResult[]): number => rs.reduce((s, r) => s + r.rps, 0) / rs.length
    const on = mean(figures.on)
    const off = mean(figures.off)
    const avg = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length
    const perSec = (rate: number): string => Math.round(rate).toLocaleString('en')
    const micros = (x: number): string => x.toFixed(0)
    console.log(`mean: receipts on ${perSec(on)} answers/s, off ${perSec(off)} answers/s; ` +
      `ratio on/off ${(on / off).toFixed(3)}; ` +
      `server CPU per answer ${micros(avg(cpu.on))} µs on, ${micros(avg(cpu.off))} µs off ` +
      `(receipts: ${micros(avg(cpu.on) - avg(cpu.off))} µs)`)
  } finally {
    await db.drop()
  }
}
