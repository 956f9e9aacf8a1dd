/**
 * Audit log benchmark, fixed parameters, against real PostgreSQL:
 *
 *   node --import tsx bench/audit.ts            (AUDIT_VERIFY_ENTRIES=1000000 by default)
 *
 * 1. Appends/s with 1, 16 and 64 concurrent writers for 5 s each, through the group-committed
 *    AuditWriter (one transaction per batch, Merkle nodes included), and as the baseline in the
 *    same run, one transaction per entry (the same appendEntries, no grouping).
 * 2. `verifyLog` over AUDIT_VERIFY_ENTRIES entries (built in batches of 1,000), entries/s and seconds.
 */
import { cpus } from 'node:os'
import { AuditWriter, appendEntries } from '../src/audit/writer.ts'
import type { EntryInput } from '../src/audit/entry.ts'
import { ed25519SignerFromSeed } from '../src/crypto/signed-note.ts'
import { verifyLog } from '../src/audit/log-check.ts'
import type { Database } from '../src/db/client.ts'
import { fmt, scratchDatabase } from './db.ts'

const SECONDS = 5
const WRITERS = [1, 16, 64]
const VERIFY_ENTRIES = Number(process.env.AUDIT_VERIFY_ENTRIES ?? 1_000_000)
export const ORIGIN = 'bench.shifou.local/audit'
export const signer = ed25519SignerFromSeed(ORIGIN, new Uint8Array(32).fill(3))

/** The i-th entry of the bench's logs (here and bench/verify-compare.ts). */
export function entry (i: number): EntryInput {
  return {
    kind: 'answer',
    actor: { sub: 'bench-client', role: 'caller' },
    verification: '00000000-0000-4000-8000-' + String(i).padStart(12, '0'),
    caller: 'bench-client',
    question: 'tax.paid_in_year',
    params: { year: 2025 },
    purpose: 'housing-subsidy',
    caseId: 'HS-' + i,
    answer: i % 3 === 0 ? 'no' : 'yes',
    asOf: '2026-11-27',
    snapshot: 7,
    subject: 'a'.repeat(64),
    keyVersion: 1,
    norm: 'cn-ric-v1'
  }
}

async function run (concurrency: number, append: (e: EntryInput) => Promise<unknown>): Promise<number> {
  let count = 0
  const until = Date.now() + SECONDS * 1000
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      await append(entry(count))
      count++
    }
  }))
  return count / SECONDS
}

async function appendRates (database: Database): Promise<Array<{ writers: number, grouped: number, single: number }>> {
  const rows = []
  for (const writers of WRITERS) {
    const writer = new AuditWriter(database)
    const grouped = await run(writers, async (e) => await writer.append([e]))
    await writer.close()
    const single = await run(writers, async (e) => {
      return await database.transaction(async (tx) => await appendEntries(tx, [e], null))
    })
    rows.push({ writers, grouped, single })
    console.log(`appends, ${String(writers).padStart(2)} writers: group commit ${fmt(grouped)}/s, ` +
      `one transaction per entry ${fmt(single)}/s (${(grouped / single).toFixed(1)}×)`)
  }
  return rows
}

async function verifyRate (
  database: Database
): Promise<{ entries: number, buildSeconds: number, verifySeconds: number }> {
  const checkpoints = { signer, origin: ORIGIN, everyEntries: 10_000, everyMs: 3_600_000 }
  const writer = new AuditWriter(database, { maxBatch: 1000, checkpoints })
  const started = Date.now()
  const existing = Number((await database.query<{ n: number }>('select count(*)::int as n from audit_entries'))[0]!.n)
  for (let i = existing; i < VERIFY_ENTRIES; i += 1000) {
    await writer.append(Array.from({ length: Math.min(1000, VERIFY_ENTRIES - i) }, (_, j) => entry(i + j)))
  }
  await writer.close()
  const buildSeconds = (Date.now() - started) / 1000
  const t0 = Date.now()
  const report = await verifyLog(database, { verifier: { name: ORIGIN, publicKey: signer.publicKey }, origin: ORIGIN })
  const verifySeconds = (Date.now() - t0) / 1000
  if (!report.ok) throw new Error('verify failed: ' + JSON.stringify(report.problem))
  console.log(`audit verify: ${fmt(report.size)} entries, ${report.checkpoints} checkpoints ` +
    `in ${verifySeconds.toFixed(1)} s (${fmt(report.size / verifySeconds)} entries/s); ` +
    `building the log took ${buildSeconds.toFixed(1)} s`)
  return { entries: report.size, buildSeconds, verifySeconds }
}

export async function auditBench (): Promise<Record<string, unknown>> {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`
  console.log(`# audit benchmark — ${new Date().toISOString()} — ${machine}`)
  const db = await scratchDatabase(20)
  try {
    const appends = await appendRates(db.database)
    const verify = await verifyRate(db.database)
    return { appends, verify }
  } finally {
    await db.drop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await auditBench()
}
