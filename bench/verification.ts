/**
 * Verification throughput (issue "performance"), fixed parameters, one run each, same database:
 *
 *   - the bare Fastify JSON route (GET /) — the ceiling of the stack;
 *   - the lookup ceiling (one HMAC and one indexed lookup per request, same database and population);
 *   - POST /v1/verifications with everything on (JWT, validation, normalisation, keyed hashing,
 *     limits, lookup, predicate, receipts where built, a durable audit entry per answer), with 1, 5
 *     and 10 questions per request; with the per-client limits off, for their cost; and with the
 *     limits and receipts off, for the cost of the receipts and of what remains (the audit entry
 *     above all).
 *
 * 64 connections, 10 s each; subjects drawn from the loaded population with 20% unknown to it;
 * one caller client per connection. Every run also reports the CPU time per answer of the server,
 * of PostgreSQL and of the load generator (bench/http.ts, `measure`): where an answer's time goes.
 * Requires real PostgreSQL.
 */
import { measure, startServer, type RunResult, type Server } from './http.ts'
import { databaseIsLocal } from './db.ts'
import { callerToken, CLIENTS, verificationBodies } from './setup.ts'

export const CONNECTIONS = 64
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

export interface VerificationFigures {
  bare: RunResult
  ceiling: RunResult
  full: Record<string, RunResult>
  limitsOff: RunResult
  /** limits and receipts off: the answer with its audit entry, and nothing the design lets one switch off */
  limitsAndReceiptsOff: RunResult
}

/** CPU per request of a run, e.g. "CPU/request: server 410 µs, PostgreSQL 200 µs, load generator 70 µs". */
export function cpuLine (r: RunResult): string {
  if (r.cpu === undefined) return ''
  const { server, database, loadGenerator } = r.cpu
  const postgres = database === null ? 'not measured (not on this machine)' : database + ' µs'
  return `CPU/request: server ${server} µs, PostgreSQL ${postgres}, load generator ${loadGenerator} µs`
}

export async function verificationBench (
  url: string,
  population: number,
  log: (line: string) => void
): Promise<VerificationFigures> {
  const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
  const bodies = (q: number): string[] => verificationBodies(population, q)
  const local = databaseIsLocal(url)
  const show = (name: string, r: RunResult): void => {
    log(`${name.padEnd(40)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
      `errors ${r.errors}  non-2xx ${r.non2xx}`)
    if (r.cpu !== undefined) log(`${''.padEnd(40)} ${cpuLine(r)}`)
  }

  const bareServer = await startServer(['bare'], 18101)
  const bare = await measure(bareServer, {
    url: bareServer.url, path: '/', connections: CONNECTIONS, seconds: SECONDS
  }, local)
  await bareServer.stop()
  show('bare Fastify JSON route', bare)

  const ceilingServer = await startServer(['ceiling', url, 'tax'], 18102)
  const ceiling = await measure(ceilingServer, {
    url: ceilingServer.url,
    method: 'POST',
    path: '/lookup',
    connections: CONNECTIONS,
    seconds: SECONDS,
    bodies: bodies(1)
  }, local)
  await ceilingServer.stop()
  show('lookup ceiling (HMAC + lookup)', ceiling)

  const verifications = async (server: Server, q: number): Promise<RunResult> => await measure(server, {
    url: server.url,
    method: 'POST',
    path: '/v1/verifications',
    connections: CONNECTIONS,
    seconds: SECONDS,
    bodies: bodies(q),
    tokens
  }, local)

  const full: Record<string, RunResult> = {}
  const service = await startServer(['service', url], 18103)
  for (const q of [1, 5, 10]) {
    full[String(q)] = await verifications(service, q)
    show(`shifou, ${q} question${q === 1 ? '' : 's'} per request`, full[String(q)]!)
  }
  await service.stop()

  const off = await startServer(['service', url, 'limits=off'], 18104)
  const limitsOff = await verifications(off, 1)
  await off.stop()
  show('shifou, 1 question, limits off', limitsOff)

  const bareAnswer = await startServer(['service', url, 'limits=off', 'receipts=off'], 18106)
  const limitsAndReceiptsOff = await verifications(bareAnswer, 1)
  await bareAnswer.stop()
  show('shifou, 1 question, limits + receipts off', limitsAndReceiptsOff)
  return { bare, ceiling, full, limitsOff, limitsAndReceiptsOff }
}

/**
 * Where an answer's CPU goes, from the runs' CPU per answer (all sides: server, PostgreSQL, load
 * generator): the lookup ceiling's, what an answer with only its audit entry adds, what receipts
 * add, what the limits add. On a machine whose cores the runs keep busy, throughput goes as the
 * inverse of CPU per answer, so the ceiling's CPU over shifou's is the ratio the machine allows.
 * Null where the database's CPU was not measured.
 */
export function cpuBudget (v: VerificationFigures): string[] | null {
  const total = (r: RunResult): number | null => {
    if (r.cpu === undefined || r.cpu.database === null) return null
    return r.cpu.server + r.cpu.database + r.cpu.loadGenerator
  }
  const [ceiling, bare, receipts, full] = [v.ceiling, v.limitsAndReceiptsOff, v.limitsOff, v.full['1']!].map(total)
  if (ceiling == null || bare == null || receipts == null || full == null) return null
  const overCeiling = (full / ceiling).toFixed(1)
  const measured = (v.full['1']!.rps / v.ceiling.rps).toFixed(2)
  return [
    `CPU per answer, all sides: lookup ceiling ${ceiling} µs; shifou ${full} µs = ceiling's ${overCeiling}×`,
    `  answer with its audit entry (limits, receipts off): ${bare} µs (+${bare - ceiling} over the ceiling)`,
    `  + receipts: ${receipts} µs (+${receipts - bare}); + limits and detectors: ${full} µs (+${full - receipts})`,
    `  ratio the CPU allows (ceiling's CPU / shifou's): ${(ceiling / full).toFixed(2)}; measured: ${measured}`
  ]
}
