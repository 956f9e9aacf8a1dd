/**
 * The benchmark population: a scratch PostgreSQL database with the `tax` connector holding N
 * synthetic people's records (one per person), ten questions on it, and 64 caller clients with
 * limits high enough never to refuse. Fixed seeds: the same people every run.
 */
import { Readable } from 'node:stream'
import { Keyring } from '../src/keys/keyring.ts'
import { createClient, createConnector, createDepartment, createQuestion, getConnector } from '../src/registry/store.ts'
import { loadSnapshot } from '../src/connectors/load.ts'
import { makeId, prng } from '../src/demo/population.ts'
import { mintToken } from '../src/tokens.ts'
import type { Database } from '../src/db/client.ts'
import { scratchDatabase, type ScratchDb } from './db.ts'

export const BENCH_MASTER = new Uint8Array(32).fill(11)
export const BENCH_SECRET = new Uint8Array(32).fill(12)
export const POOL_SIZE = Number(process.env.BENCH_POOL ?? 20)
export const BENCH_CONFIG = {
  issuer: 'shifou',
  jwtSecret: BENCH_SECRET,
  jwtPublicKeysFile: null,
  logLevel: 'silent',
  checkpointKey: new Uint8Array(32).fill(13),
  auditOrigin: 'bench.shifou.local/audit',
  checkpointEntries: 1000,
  checkpointSeconds: 10
}
export const CLIENTS = 64
export const QUESTIONS = Array.from({ length: 10 }, (_, i) => `tax.q${i}`)
/**
 * Two more connectors for the skewed-snapshot scenario (issue 15 part 6): `clean` holds one record
 * each of the first people of the population, `skewed` the same number of rows, all one person's
 * (a department's broken export). A question on each. A load now keeps at most a connector's
 * `maxRecordsPerSubject` rows of one person and rejects the rest (TOO_MANY_RECORDS): `skewed` is
 * registered with the highest bound the API allows (10,000) and takes any share of rejects, so
 * that its snapshot holds the most rows of one person a department can load.
 */
export const SKEW_CONNECTORS = ['clean', 'skewed'] as const
const ADMIN = { sub: 'bench', role: 'admin' as const }

/** The population's IDs, in a fixed order (a CSV of `count` rows yields these). */
export function * benchIds (count: number, seed = 1): Generator<string> {
  const rand = prng(seed)
  for (let i = 0; i < count; i++) yield makeId(rand)
}

export function * benchCsv (count: number, seed = 1): Generator<string> {
  yield 'id_number,year,amount\n'
  let i = 0
  let chunk = ''
  for (const id of benchIds(count, seed)) {
    chunk += `${id},${2016 + (i % 10)},${(i * 7919) % 90000}\n`
    if (++i % 1000 === 0) { yield chunk; chunk = '' }
  }
  if (chunk !== '') yield chunk
}

export async function registerBench (database: Database): Promise<void> {
  const deps = { database, onChange: () => {} }
  await createDepartment(deps, ADMIN, { id: 'tax', name: 'Tax Bureau' })
  await createConnector(deps, ADMIN, {
    id: 'tax',
    department: 'tax',
    title: 'Income tax',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields: [{ name: 'year', type: 'integer' }, { name: 'amount', type: 'number' }]
  })
  for (const [i, id] of QUESTIONS.entries()) {
    await createQuestion(deps, ADMIN, {
      id,
      connector: 'tax',
      title: id,
      params: { year: 'integer' },
      when: { any: { year: { eq: { param: 'year' } }, amount: { gt: i * 1000 } } }
    })
  }
  for (const id of SKEW_CONNECTORS) {
    await createConnector(deps, ADMIN, {
      id,
      department: 'tax',
      title: id,
      kind: 'file',
      subject: { field: 'id_number', type: 'cn_resident_id' },
      fields: [{ name: 'year', type: 'integer' }, { name: 'amount', type: 'number' }],
      ...(id === 'skewed' ? { maxRecordsPerSubject: 10_000, maxRejectRatio: 1 } : {})
    })
    await createQuestion(deps, ADMIN, {
      id: id + '.q',
      connector: id,
      title: id,
      params: { year: 'integer' },
      when: { any: { year: { eq: { param: 'year' } } } }
    })
  }
  for (let c = 0; c < CLIENTS; c++) {
    await createClient(deps, ADMIN, {
      id: 'bench-' + c,
      name: 'bench ' + c,
      organisation: 'bench-org-' + c,
      questions: [...QUESTIONS, ...SKEW_CONNECTORS.map((id) => id + '.q')],
      purposes: ['benchmark'],
      quotas: {
        requestsPerMinute: 10_000_000,
        subjectsPerDay: 10_000_000,
        subjectsPerCase: 10_000_000,
        namesPerSubjectPerDay: 1000
      }
    })
  }
}

/**
 * Loads the population; returns the seconds the load took. Then vacuums the new records and
 * checkpoints, outside that time: otherwise autovacuum and the checkpointer may work through the
 * fresh rows during the first measurements, on the two cores the servers share with them, and
 * whichever server is measured first pays for it.
 */
export async function loadBench (database: Database, count: number): Promise<number> {
  const keyring = new Keyring(new Map([[1, BENCH_MASTER]]))
  const started = Date.now()
  await loadSnapshot({
    database,
    keyring,
    actor: ADMIN,
    connector: await getConnector(database, 'tax'),
    asOf: '2026-11-01',
    format: 'csv',
    input: Readable.from(benchCsv(count))
  })
  const seconds = (Date.now() - started) / 1000
  await database.maintenance.query('vacuum (analyze) records')
  await database.maintenance.query('checkpoint')
  return seconds
}

/** The snapshots of the skewed-snapshot scenario: `rows` rows in each of `clean` and `skewed`. */
export async function loadSkew (database: Database, rows: number): Promise<void> {
  const keyring = new Keyring(new Map([[1, BENCH_MASTER]]))
  const one = benchIds(1).next().value as string
  function * skewed (): Generator<string> {
    yield 'id_number,year,amount\n'
    const chunk = `${one},2025,1\n`.repeat(1000)
    for (let i = 0; i < rows; i += 1000) yield chunk
  }
  for (const [id, input] of [['clean', benchCsv(rows)], ['skewed', skewed()]] as const) {
    await loadSnapshot({
      database,
      keyring,
      actor: ADMIN,
      connector: await getConnector(database, id),
      asOf: '2026-11-01',
      format: 'csv',
      input: Readable.from(input)
    })
  }
  await database.maintenance.query('vacuum (analyze) records')
  await database.maintenance.query('checkpoint')
}

export function callerToken (c: number): string {
  return mintToken(BENCH_SECRET, 'shifou', { sub: 'bench-' + c, role: 'caller' }, 3600)
}

/**
 * Request bodies: subjects drawn from the population, 20% unknown to it, `questions` per request
 * (the first of QUESTIONS, or these question ids).
 */
export function verificationBodies (population: number, questions: number | string[], count = 20_000): string[] {
  const asked = typeof questions === 'number' ? QUESTIONS.slice(0, questions) : questions
  const known = [...benchIds(Math.min(population, 200_000))]
  const rand = prng(77)
  const unknown = benchIds(count, 999)
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const id = rand() < 0.2 ? unknown.next().value as string : known[Math.floor(rand() * known.length)]!
    out.push(JSON.stringify({
      subject: { idNumber: id },
      questions: asked.map((q) => ({ id: q, params: { year: 2025 } })),
      purpose: 'benchmark',
      caseId: 'B-' + i
    }))
  }
  return out
}

/**
 * A bench script run on its own: a scratch database with the bench's registry and `rows` people
 * (BENCH_ROWS, default 20,000), `run` with BENCH_SECONDS (default 5) per run, then the database dropped.
 */
export async function runAlone (title: string, run: (db: ScratchDb, rows: number, seconds: number) => Promise<unknown>):
Promise<void> {
  const rows = Number(process.env.BENCH_ROWS ?? 20_000)
  const seconds = Number(process.env.BENCH_SECONDS ?? 5)
  const db = await scratchDatabase(4)
  try {
    await registerBench(db.database)
    await loadBench(db.database, rows)
    console.log(`# ${title} — ${new Date().toISOString()} — ${rows} people, ${seconds} s per run`)
    await run(db, rows, seconds)
  } finally {
    await db.drop()
  }
}
