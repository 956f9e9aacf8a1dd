/**
 * Several service processes on one PostgreSQL database (design §8): each numbers its batches
 * under a transaction-level advisory lock, so indices stay dense and distinct, every request gets
 * its own, and the tree and checkpoints that both write verify. PostgreSQL only.
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Database } from '../../src/db/client.ts'
import { openDatabase } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { createTestDatabase, databaseUrl, type Teardown } from '../helpers/db.ts'
import { AuditWriter } from '../../src/audit/writer.ts'
import { ed25519SignerFromSeed } from '../../src/crypto/signed-note.ts'
import { allCheckpoints } from '../../src/audit/checkpoint-store.ts'
import type { EntryInput } from '../../src/audit/entry.ts'
import { verifyLog } from '../../src/audit/log-check.ts'

const ORIGIN = 'concurrent.test.shifou.local/audit'
const SEED = new Uint8Array(32).fill(0x3c)
const signer = ed25519SignerFromSeed(ORIGIN, SEED)
const checkpoints = { signer, origin: ORIGIN, everyEntries: 50, everyMs: 3_600_000 }
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WORKER = fileURLToPath(new URL('../fixtures/append-worker.ts', import.meta.url))

const input = (tag: string): EntryInput => ({ kind: 'answer', actor: { sub: 'c', role: 'caller' }, caller: 'c', question: tag, answer: 'no' })

/** A fresh database, migrated once, and `pools` separate connection pools to it (as separate processes have). */
async function processes (t: Teardown, pools: number): Promise<{ url: string, databases: Database[] }> {
  const { url, drop } = await createTestDatabase()
  const databases: Database[] = []
  t.teardown(async () => {
    for (const d of databases) await d.close()
    await drop()
  })
  for (let i = 0; i < pools; i++) databases.push(await openDatabase({ url, poolSize: 10 }))
  await migrate(databases[0]!)
  return { url, databases }
}

/** Appends `count` requests of one to three entries from each of `tasks` concurrent tasks. */
async function appendFrom (writer: AuditWriter, prefix: string, tasks: number, count: number): Promise<Array<Array<[number, string]>>> {
  const requests: Array<Array<[number, string]>> = []
  await Promise.all(Array.from({ length: tasks }, async (_, task) => {
    for (let i = 0; i < count; i++) {
      const tags = Array.from({ length: 1 + (i % 3) }, (_, j) => `${prefix}-${task}-${i}-${j}`)
      const indices = await writer.append(tags.map(input))
      requests.push(indices.map((index, j) => [index, tags[j]!]))
    }
  }))
  return requests
}

/** Checks indices are dense and distinct, each holds the entry its request wrote, and the log verifies. */
async function checkLog (t: Test, database: Database, appended: Array<[number, string]>): Promise<void> {
  const indices = appended.map(([index]) => index).sort((a, b) => a - b)
  t.same(indices, Array.from({ length: appended.length }, (_, i) => i), `${appended.length} entries got distinct indices 0…${appended.length - 1}`)
  const rows = await database.query<{ index: number, question: string }>('select index, question from audit_entries order by index')
  t.same(rows.map((r) => Number(r.index)), indices, 'the stored indices are dense: 0…n−1 without gaps')
  const stored = new Map(rows.map((r) => [Number(r.index), r.question]))
  const wrong = appended.filter(([index, tag]) => stored.get(index) !== tag)
  t.same(wrong, [], 'every index holds the entry of the request it was returned to')
  const cps = await allCheckpoints(database)
  t.equal(cps[cps.length - 1]?.size, appended.length, 'the last checkpoint covers the whole log')
  const report = await verifyLog(database, { verifier: { name: ORIGIN, publicKey: signer.publicKey }, origin: ORIGIN })
  t.same(report, { ok: true, size: appended.length, checkpoints: cps.length, problem: null }, `the log and its ${cps.length} checkpoints verify`)
}

/** How often consecutive indices belong to different writers. */
function switches (appended: Array<[number, string]>, owner: (tag: string) => string): number {
  const byIndex = [...appended].sort((a, b) => a[0] - b[0])
  let n = 0
  for (let i = 1; i < byIndex.length; i++) if (owner(byIndex[i]![1]) !== owner(byIndex[i - 1]![1])) n++
  return n
}


if (databaseUrl === null) {
  t.comment('PGlite is one connection inside one process: there is no second process to race with (set DATABASE_URL for that). Two writers with their own cached trees still interleave on it.')
  t.test('two writers with their own cached trees interleave on one embedded database', async (t) => {
    const database = await openDatabase({ url: null, memory: true })
    t.teardown(async () => { await database.close() })
    await migrate(database)
    const writers = [new AuditWriter(database, { checkpoints }), new AuditWriter(database, { checkpoints })]
    const results = await Promise.all(writers.map(async (w, i) => await appendFrom(w, 'w' + i, 8, 20)))
    for (const w of writers) await w.close()
    const flat = results.flatMap((r) => r.flat())
    t.ok(switches(flat, (tag) => tag.split('-')[0]!) > 0, 'the writers interleaved')
    await checkLog(t, database, flat)
  })
} else {
  t.test('two service processes (two pools, two writers) append concurrently to one log', async (t) => {
    const { databases } = await processes(t, 2)
    const writers = databases.map((d) => new AuditWriter(d, { checkpoints }))
    const TASKS = 16
    const COUNT = 50
    const results = await Promise.all(writers.map(async (w, i) => await appendFrom(w, 'p' + i, TASKS, COUNT)))
    for (const w of writers) await w.close()
    const requests = results.flat()
    t.equal(requests.length, 2 * TASKS * COUNT, 'every request was answered')
    t.ok(requests.every((r) => r.every(([index], j) => index === r[0]![0] + j)), 'each request got adjacent indices')
    const appended = requests.flat()
    await checkLog(t, databases[0]!, appended)
    const mixed = switches(appended, (tag) => tag.slice(0, 2))
    t.ok(mixed >= 10, `the two writers' batches interleave (${mixed} switches)`)
    t.ok(writers.every((w) => w.batches < TASKS * COUNT), `group commit: ${writers.map((w) => w.batches).join(' and ')} transactions for ${TASKS * COUNT} requests each`)
    t.comment(`checkpoints written: ${writers.map((w) => w.checkpointsWritten).join(' and ')}`)
  })

  t.test('a second OS process appends while this one does', async (t) => {
    const { url, databases } = await processes(t, 1)
    const database = databases[0]!
    const worker = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: {
        ...process.env,
        AUDIT_DATABASE_URL: url,
        AUDIT_ORIGIN: ORIGIN,
        CHECKPOINT_SEED_HEX: Buffer.from(SEED).toString('hex'),
        APPEND_TASKS: '8',
        APPEND_COUNT: '50',
        APPEND_PREFIX: 'os'
      }
    })
    const killer = setTimeout(() => { worker.kill() }, 120_000)
    t.teardown(() => { clearTimeout(killer); if (worker.exitCode === null) worker.kill() })
    const exited = new Promise<number | null>((resolve) => { worker.once('exit', (code) => { resolve(code) }) })
    const lines = createInterface({ input: worker.stdout })
    const output: string[] = []
    const ready = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        output.push(line)
        if (line === 'ready') resolve()
      })
      worker.once('exit', (code) => { reject(new Error(`the worker exited (${String(code)}) before it was ready`)) })
    })
    await ready
    const writer = new AuditWriter(database, { checkpoints })
    worker.stdin.write('go\n')
    const ours = (await appendFrom(writer, 'me', 8, 50)).flat()
    await writer.close()
    t.equal(await exited, 0, 'the worker process exited cleanly')
    const result = JSON.parse(output[output.length - 1]!) as { appended: Array<[number, string]>, batches: number, checkpoints: number }
    t.equal(result.appended.length, 8 * 50 * 1.5, 'the worker appended all its entries')
    const appended = [...ours, ...result.appended]
    await checkLog(t, database, appended)
    const mixed = switches(appended, (tag) => tag.slice(0, 2))
    t.ok(mixed >= 10, `the two processes' batches interleave (${mixed} switches)`)
    t.comment(`this process: ${writer.batches} transactions, ${writer.checkpointsWritten} checkpoints; the worker: ${result.batches} transactions, ${result.checkpoints} checkpoints`)
  })
}
