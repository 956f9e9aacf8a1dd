/**
 * A household in one call (design §14.6): answers per second of `POST /v1/verifications/batch`
 * with 5 people of one question each, against the same 5 people asked as 5 single
 * `POST /v1/verifications` requests — same server, same database, same population, one run each.
 *
 * Two views: throughput (BATCH_CONNECTIONS connections, answers/s) and what one approval system
 * waits for a household (1 connection: a batch's p50 against five singles' p50, one after another).
 *
 *   node --import tsx bench/batch.ts         BENCH_ROWS (20,000) people, BENCH_SECONDS (5) per run
 */
import { measure, startServer, type RunResult } from './http.ts'
import { databaseIsLocal } from './db.ts'
import { callerToken, CLIENTS, runAlone, verificationBodies } from './setup.ts'

export const HOUSEHOLD = 5
const CONNECTIONS = Number(process.env.BATCH_CONNECTIONS ?? 16)

export interface BatchFigures {
  single: RunResult
  batch: RunResult
  singleAnswersPerSecond: number
  batchAnswersPerSecond: number
  /** a household's wait: one batch against five single requests in a row (p50, ms) */
  householdMs: { batch: number, singles: number }
}

/** Households of five, each a batch body; the same people as the single bodies, in order. */
export function batchBodies (singles: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i + HOUSEHOLD <= singles.length; i += HOUSEHOLD) {
    const people = singles.slice(i, i + HOUSEHOLD).map((s) => JSON.parse(s) as Record<string, unknown>)
    out.push(JSON.stringify({
      purpose: 'benchmark',
      caseId: 'H-' + i,
      items: people.map((p) => ({ subject: p.subject, questions: p.questions }))
    }))
  }
  return out
}

export async function batchBench (
  url: string, population: number, seconds: number, log: (line: string) => void
): Promise<BatchFigures> {
  const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
  const singles = verificationBodies(population, 1)
  const batches = batchBodies(singles)
  const local = databaseIsLocal(url) ? url : null
  const server = await startServer(['service', url], 18121)
  try {
    const run = async (path: string, bodies: string[], connections: number): Promise<RunResult> =>
      await measure(server, { url: server.url, method: 'POST', path, connections, seconds, bodies, tokens }, local)
    const single = await run('/v1/verifications', singles, CONNECTIONS)
    const batch = await run('/v1/verifications/batch', batches, CONNECTIONS)
    const oneSingle = await run('/v1/verifications', singles, 1)
    const oneBatch = await run('/v1/verifications/batch', batches, 1)
    const figures: BatchFigures = {
      single,
      batch,
      singleAnswersPerSecond: single.rps,
      batchAnswersPerSecond: batch.rps * HOUSEHOLD,
      householdMs: { batch: oneBatch.p50, singles: oneSingle.p50 * HOUSEHOLD }
    }
    const row = (name: string, r: RunResult, answers: number): string =>
      `${name.padEnd(36)} ${Math.round(answers).toString().padStart(7)} answers/s  ` +
      `(${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx})`
    log(row(`${HOUSEHOLD} single requests, ${CONNECTIONS} connections`, single, figures.singleAnswersPerSecond))
    log(row(`${HOUSEHOLD}-person batch, ${CONNECTIONS} connections`, batch, figures.batchAnswersPerSecond))
    log(`batch / singles: ${(figures.batchAnswersPerSecond / figures.singleAnswersPerSecond).toFixed(2)}× answers/s; ` +
      `a household waits ${figures.householdMs.batch} ms in one batch, ` +
      `${figures.householdMs.singles.toFixed(1)} ms as five requests in a row (p50, 1 connection)`)
    return figures
  } finally {
    await server.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runAlone('batch vs single', async (db, rows, seconds) => await batchBench(db.url, rows, seconds, console.log))
}
