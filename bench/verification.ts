/**
 * Verification throughput (issues "performance" and 21), fixed parameters, same database:
 *
 *   - the bare Fastify JSON route (GET /) — the ceiling of the stack;
 *   - the lookup ceiling (one HMAC and one indexed lookup per request, same database and population);
 *   - POST /v1/verifications with everything on (JWT, validation, normalisation, keyed hashing,
 *     limits, lookup, predicate, receipts, a durable audit entry per answer), with 1, 5 and 10
 *     questions per request; with the per-client limits off, for their cost; and with the limits
 *     and receipts off, for the cost of the receipts and of what remains (the audit entry above all);
 *   - the skewed-snapshot pair (issue 15 part 6): two questions a request, `tax.q0` and one on a
 *     connector of BENCH_SKEW_ROWS rows, `clean.q` (one row per person) against `skewed.q` (every
 *     row one person's).
 *
 * Every server runs at once in a process of its own; the runs are interleaved — one run of each
 * per round, the order rotated from round to round — for BENCH_ROUNDS rounds (3), so that a slow
 * moment of a shared machine falls on every configuration alike. Each figure is the median over the
 * rounds with its spread (min–max), and each ratio is taken within a round, then its median.
 * 64 connections, BENCH_SECONDS (10) each after a 2 s warm-up; subjects drawn from the loaded
 * population with 20% unknown to it; one caller client per connection. Every run also reports the
 * CPU time per answer of the server, of the bench database's own PostgreSQL backends and of the
 * load generator (bench/http.ts, `measure`). Requires real PostgreSQL.
 */
import { measure, startServer, type RunResult, type Server } from './http.ts'
import { databaseIsLocal } from './db.ts'
import { callerToken, CLIENTS, verificationBodies } from './setup.ts'
import { median, spread } from './stats.ts'

export const CONNECTIONS = 64
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

export interface VerificationFigures {
  /** the median of each figure over the rounds */
  bare: RunResult
  ceiling: RunResult
  full: Record<string, RunResult>
  limitsOff: RunResult
  /** limits and receipts off: the answer with its audit entry, and nothing the design lets one switch off */
  limitsAndReceiptsOff: RunResult
  skew: { clean: RunResult, skewed: RunResult }
  /** every round's runs, by name */
  rounds: Record<string, RunResult[]>
}

/**
 * CPU per request of a run, e.g. "CPU/request: server 456 µs (its main thread 437 µs, and 105 µs
 * waiting for a core), PostgreSQL (bench database) 239 µs, load generator 108 µs".
 */
export function cpuLine (r: RunResult): string {
  if (r.cpu === undefined) return ''
  const { server, serverThread, serverThreadWait, database, loadGenerator } = r.cpu
  const postgres = database === null ? 'not measured (not on this machine)' : database + ' µs'
  return `CPU/request: server ${server} µs (its main thread ${serverThread} µs, and ${serverThreadWait} µs ` +
    `waiting for a core), PostgreSQL (bench database) ${postgres}, load generator ${loadGenerator} µs`
}

/** The median of each figure of several runs of one configuration. */
function medianRun (runs: RunResult[]): RunResult {
  const m = (f: (r: RunResult) => number): number => Math.round(median(runs.map(f)) * 100) / 100
  const cpu = runs.every((r) => r.cpu !== undefined)
    ? {
        server: Math.round(m((r) => r.cpu!.server)),
        serverThread: Math.round(m((r) => r.cpu!.serverThread)),
        serverThreadWait: Math.round(m((r) => r.cpu!.serverThreadWait)),
        database: runs.every((r) => r.cpu!.database !== null) ? Math.round(m((r) => r.cpu!.database!)) : null,
        loadGenerator: Math.round(m((r) => r.cpu!.loadGenerator))
      }
    : undefined
  return {
    rps: m((r) => r.rps),
    p50: m((r) => r.p50),
    p99: m((r) => r.p99),
    errors: m((r) => r.errors),
    non2xx: m((r) => r.non2xx),
    requests: m((r) => r.requests),
    ...(cpu === undefined ? {} : { cpu })
  }
}

/** A ratio taken within each round: its median and spread, e.g. "0.31 (0.27–0.35)". */
export function ratioLine (rounds: Record<string, RunResult[]>, a: string, b: string,
  f: (r: RunResult) => number = (r) => r.rps): string {
  const xs = rounds[a]!.map((r, i) => f(r) / f(rounds[b]![i]!))
  return `${median(xs).toFixed(2)} (${spread(xs, 2)})`
}

interface Config { name: string, server: Server, path: string, bodies?: string[], tokens?: string[] }

export async function verificationBench (
  url: string,
  population: number,
  log: (line: string) => void
): Promise<VerificationFigures> {
  const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
  const bodies = (q: number | string[]): string[] => verificationBodies(population, q)
  const local = databaseIsLocal(url) ? url : null
  const servers: Server[] = []
  const start = async (args: string[], port: number): Promise<Server> => {
    const s = await startServer(args, port)
    servers.push(s)
    return s
  }
  try {
    const bare = await start(['bare'], 18101)
    const ceiling = await start(['ceiling', url, 'tax'], 18102)
    const service = await start(['service', url], 18103)
    const limitsOff = await start(['service', url, 'limits=off'], 18104)
    const bareAnswer = await start(['service', url, 'limits=off', 'receipts=off'], 18106)
    const v = '/v1/verifications'
    const configs: Config[] = [
      { name: 'bare Fastify JSON route', server: bare, path: '/' },
      { name: 'lookup ceiling (HMAC + lookup)', server: ceiling, path: '/lookup', bodies: bodies(1) },
      { name: 'shifou, 1 question per request', server: service, path: v, bodies: bodies(1), tokens },
      { name: 'shifou, 5 questions per request', server: service, path: v, bodies: bodies(5), tokens },
      { name: 'shifou, 10 questions per request', server: service, path: v, bodies: bodies(10), tokens },
      { name: 'shifou, 1 question, limits off', server: limitsOff, path: v, bodies: bodies(1), tokens },
      { name: 'shifou, 1 question, limits + receipts off', server: bareAnswer, path: v, bodies: bodies(1), tokens },
      { name: RUN.clean, server: service, path: v, bodies: bodies(['tax.q0', 'clean.q']), tokens },
      { name: RUN.skewed, server: service, path: v, bodies: bodies(['tax.q0', 'skewed.q']), tokens }
    ]
    const rounds: Record<string, RunResult[]> = {}
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < configs.length; k++) {
        const c = configs[(k + round) % configs.length]!
        const r = await measure(c.server, {
          url: c.server.url,
          method: c.path === '/' ? 'GET' : 'POST',
          path: c.path,
          connections: CONNECTIONS,
          seconds: SECONDS,
          ...(c.bodies === undefined ? {} : { bodies: c.bodies }),
          ...(c.tokens === undefined ? {} : { tokens: c.tokens })
        }, local)
        ;(rounds[c.name] ??= []).push(r)
      }
      log(`round ${round + 1} of ${ROUNDS} done`)
    }
    for (const c of configs) {
      const runs = rounds[c.name]!
      const r = medianRun(runs)
      log(`${c.name.padEnd(42)} ${Math.round(r.rps).toString().padStart(7)} req/s ` +
        `(${spread(runs.map((x) => x.rps))})  p50 ${r.p50} ms (${spread(runs.map((x) => x.p50), 2)})  ` +
        `p99 ${r.p99} ms (${spread(runs.map((x) => x.p99), 2)})  errors ${r.errors}  non-2xx ${r.non2xx}`)
      if (r.cpu !== undefined) log(`${''.padEnd(42)} ${cpuLine(r)} (medians)`)
    }
    const pick = (i: number): RunResult => medianRun(rounds[configs[i]!.name]!)
    return {
      bare: pick(0),
      ceiling: pick(1),
      full: { 1: pick(2), 5: pick(3), 10: pick(4) },
      limitsOff: pick(5),
      limitsAndReceiptsOff: pick(6),
      skew: { clean: pick(7), skewed: pick(8) },
      rounds
    }
  } finally {
    for (const s of servers) await s.stop()
  }
}

/** The names under which `rounds` holds each configuration's runs. */
export const RUN = {
  bare: 'bare Fastify JSON route',
  ceiling: 'lookup ceiling (HMAC + lookup)',
  full1: 'shifou, 1 question per request',
  limitsOff: 'shifou, 1 question, limits off',
  clean: 'shifou, tax + clean connector',
  skewed: 'shifou, tax + skewed connector'
} as const

/**
 * Where an answer's CPU goes, from the runs' CPU per answer (all sides: server, the bench
 * database's backends, load generator): the lookup ceiling's, what an answer with only its audit
 * entry adds, what receipts add, what the limits add. On a machine whose cores the runs keep busy,
 * throughput goes as the inverse of CPU per answer, so the ceiling's CPU over shifou's is the ratio
 * the machine allows. Null where the database's CPU was not measured.
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
    `CPU per answer, all sides (medians): lookup ceiling ${ceiling} µs; shifou ${full} µs = ceiling's ${overCeiling}×`,
    `  answer with its audit entry (limits, receipts off): ${bare} µs (+${bare - ceiling} over the ceiling)`,
    `  + receipts: ${receipts} µs (+${receipts - bare}); + limits and detectors: ${full} µs (+${full - receipts})`,
    `  ratio the CPU allows (ceiling's CPU / shifou's): ${(ceiling / full).toFixed(2)}; measured: ${measured}`,
    `  cores used by shifou (server + its database backends, CPU s per s), 1 question: ${cores(v.full['1']!)}; ` +
    `of which the service's main thread: ${threadShare(v.full['1']!)}`
  ]
}

/**
 * How much of one core the service's main thread (its JavaScript) had, CPU seconds per second, and
 * the share of the time it waited for a core instead. With BENCH_PROCS > 1, the sums over the
 * processes' main threads (so up to one core, and 100%, per process).
 */
function threadShare (r: RunResult): string {
  if (r.cpu === undefined) return 'not measured'
  const { serverThread, serverThreadWait } = r.cpu
  const waiting = Math.round(serverThreadWait * r.rps / 1e4)
  return `${(serverThread * r.rps / 1e6).toFixed(2)} core, waiting for a core ${waiting}% of the time`
}

/** CPU seconds per second of the server and its database backends: how many cores it kept busy. */
function cores (r: RunResult): string {
  if (r.cpu === undefined || r.cpu.database === null) return 'not measured'
  return ((r.cpu.server + r.cpu.database) * r.rps / 1e6).toFixed(2)
}
