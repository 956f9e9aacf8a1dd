/**
 * Lookup scaling: p50/p99 of POST /v1/verifications (1 question) at 10 connections for 10 s, with
 * `small` and with `big` records in the connector, each in a scratch database of its own.
 */
import { scratchDatabase } from './db.ts'
import { loadBench, registerBench, callerToken, CLIENTS, verificationBodies } from './setup.ts'
import { run, startServer, type RunResult } from './http.ts'
import { SECONDS } from './verification.ts'

export async function lookupBench (
  small: number,
  big: number,
  log: (line: string) => void
): Promise<Record<string, RunResult | number>> {
  const out: Record<string, RunResult | number> = {}
  const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
  for (const records of [small, big]) {
    const db = await scratchDatabase(4)
    try {
      await registerBench(db.database)
      const seconds = await loadBench(db.database, records)
      const server = await startServer(['service', db.url], 18106)
      // A warm-up run, so that both sizes are measured with what fits of their index in memory.
      const request = { url: server.url, method: 'POST' as const, path: '/v1/verifications', connections: 10, tokens }
      await run({ ...request, seconds: 5, bodies: verificationBodies(records, 1).reverse() })
      const r = await run({ ...request, seconds: SECONDS, bodies: verificationBodies(records, 1) })
      await server.stop()
      out[String(records)] = r
      log(`${records.toLocaleString('en').padStart(11)} records (loaded in ${seconds.toFixed(0)} s): ` +
        `p50 ${r.p50} ms, p99 ${r.p99} ms, ${Math.round(r.rps)} req/s, errors ${r.errors}, non-2xx ${r.non2xx}`)
    } finally {
      await db.drop()
    }
  }
  const s = out[String(small)] as RunResult
  const b = out[String(big)] as RunResult
  const ratio = (b.p50 / s.p50).toFixed(2)
  log(`p50 at ${big.toLocaleString('en')} / p50 at ${small.toLocaleString('en')}: ${ratio} (target ≤ 1.2)`)
  return out
}
