/**
 * Verification throughput (issue "performance"), fixed parameters, one run each, same database:
 *
 *   - the bare Fastify JSON route (GET /) — the ceiling of the stack;
 *   - the lookup ceiling (one HMAC and one indexed lookup per request, same database and population);
 *   - POST /v1/verifications with everything on (JWT, validation, normalisation, keyed hashing,
 *     limits, lookup, predicate, receipts where built, a durable audit entry per answer), with 1, 5
 *     and 10 questions per request; and with the per-client limits off, for their cost.
 *
 * 64 connections, 10 s each; subjects drawn from the loaded population with 20% unknown to it;
 * one caller client per connection. Requires real PostgreSQL.
 */
import { run, startServer, type RunResult } from './http.ts'
import { callerToken, CLIENTS, verificationBodies } from './setup.ts'

export const CONNECTIONS = 64
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

export interface VerificationFigures {
  bare: RunResult
  ceiling: RunResult
  full: Record<string, RunResult>
  limitsOff: RunResult
}

export async function verificationBench (url: string, population: number, log: (line: string) => void): Promise<VerificationFigures> {
  const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
  const bodies = (q: number): string[] => verificationBodies(population, q)
  const show = (name: string, r: RunResult): void => log(`${name.padEnd(34)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}  non-2xx ${r.non2xx}`)

  const bareServer = await startServer(['bare'], 18101)
  const bare = await run({ url: bareServer.url, path: '/', connections: CONNECTIONS, seconds: SECONDS })
  await bareServer.stop()
  show('bare Fastify JSON route', bare)

  const ceilingServer = await startServer(['ceiling', url, 'tax'], 18102)
  const ceiling = await run({ url: ceilingServer.url, method: 'POST', path: '/lookup', connections: CONNECTIONS, seconds: SECONDS, bodies: bodies(1) })
  await ceilingServer.stop()
  show('lookup ceiling (HMAC + lookup)', ceiling)

  const full: Record<string, RunResult> = {}
  const service = await startServer(['service', url], 18103)
  for (const q of [1, 5, 10]) {
    full[String(q)] = await run({ url: service.url, method: 'POST', path: '/v1/verifications', connections: CONNECTIONS, seconds: SECONDS, bodies: bodies(q), tokens })
    show(`shifou, ${q} question${q === 1 ? '' : 's'} per request`, full[String(q)]!)
  }
  await service.stop()

  const off = await startServer(['service', url, 'limits=off'], 18104)
  const limitsOff = await run({ url: off.url, method: 'POST', path: '/v1/verifications', connections: CONNECTIONS, seconds: SECONDS, bodies: bodies(1), tokens })
  await off.stop()
  show('shifou, 1 question, limits off', limitsOff)
  return { bare, ceiling, full, limitsOff }
}
