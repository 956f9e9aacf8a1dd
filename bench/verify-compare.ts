/**
 * `shifou audit verify`'s code from two or more checkouts over one log, alternately:
 *
 *   VERIFY_TREES=/path/to/before,/path/to/after node --import tsx bench/verify-compare.ts
 *
 * Builds a log of VERIFY_ENTRIES entries (1,000,000; a checkpoint every 10,000, as bench/audit.ts)
 * in a scratch database with this checkout's writer, then runs each checkout's `verifyLog` over it in
 * turn, VERIFY_ROUNDS rounds (2), and prints every time and each checkout's median. A checkout is a
 * directory holding shifou's sources (a `git worktree` of an earlier commit, say), with its packages.
 */
import { AuditWriter } from '../src/audit/writer.ts'
import type { VerifyOptions, VerifyReport } from '../src/audit/log-check.ts'
import type { Executor } from '../src/db/client.ts'
import { fmt, scratchDatabase } from './db.ts'
import { median } from './stats.ts'
import { entry, ORIGIN, signer } from './audit.ts'

type Verify = (db: Executor, opts: VerifyOptions) => Promise<VerifyReport>

const TREES = (process.env.VERIFY_TREES ?? new URL('..', import.meta.url).pathname).split(',')
const ENTRIES = Number(process.env.VERIFY_ENTRIES ?? 1_000_000)
const ROUNDS = Number(process.env.VERIFY_ROUNDS ?? 2)

const db = await scratchDatabase(20)
try {
  const checkpoints = { signer, origin: ORIGIN, everyEntries: 10_000, everyMs: 3_600_000 }
  const writer = new AuditWriter(db.database, { maxBatch: 1000, checkpoints })
  for (let i = 0; i < ENTRIES; i += 1000) {
    await writer.append(Array.from({ length: Math.min(1000, ENTRIES - i) }, (_, j) => entry(i + j)))
  }
  await writer.close()
  await db.database.maintenance.query('vacuum (analyze) audit_entries')
  console.log(`# ${fmt(ENTRIES)} entries; ${ROUNDS} rounds over ${TREES.join(', ')}`)
  const verifiers: Verify[] = []
  for (const tree of TREES) {
    const module = await import(tree.replace(/\/?$/, '/') + 'src/audit/log-check.ts') as { verifyLog: Verify }
    verifiers.push(module.verifyLog)
  }
  const seconds: number[][] = TREES.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    // The order alternates each round, so that neither checkout always runs on a warmer cache.
    const order = TREES.map((_, k) => (k + round) % TREES.length)
    for (const k of order) {
      const started = performance.now()
      const verifier = { name: ORIGIN, publicKey: signer.publicKey }
      const report = await verifiers[k]!(db.database, { verifier, origin: ORIGIN })
      const s = (performance.now() - started) / 1000
      if (!report.ok) throw new Error(`${TREES[k]!}: the log did not verify: ${JSON.stringify(report.problem)}`)
      seconds[k]!.push(s)
      console.log(`round ${round + 1}: ${TREES[k]!} ${s.toFixed(1)} s`)
    }
  }
  TREES.forEach((tree, k) => { console.log(`${tree}: median ${median(seconds[k]!).toFixed(1)} s`) })
} finally {
  await db.drop()
}
