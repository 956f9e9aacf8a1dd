/**
 * What admission costs PostgreSQL (issue 21 part 1), measured on the database's own backends
 * (bench/db.ts, DatabaseCpu): their CPU time from /proc before and after N calls, divided by the
 * answers. Requires PostgreSQL on this machine.
 *
 *   node --import tsx bench/admission.ts     [ADMISSION_CALLS (2,000)]
 *
 * Each scenario is fresh requests as an approval system sends them (a new case id each; a subject
 * new to the client today), one client, batches of 1 and of 16, with a lookup of one snapshot of
 * 100,000 records per request (80% of the subjects in it):
 *
 *   - before: shifou_limit_batch (migration 0009, recreated here from its migration): the limits,
 *     the records of the requests that passed and the detectors' observation in one statement;
 *   - now: shifou_admit (migration 0020), then the connectors' readRecords, then the observation of
 *     the fresh requests (observeFresh, shifou_observe_fresh of migration 0072): three statements,
 *     the last off the answer's path;
 *   - observation per request: the same with the observation as it was before migration 0072,
 *     shifou_observe called once per fresh request;
 *   - shifou_admit alone: what stands between a request and its lookup.
 *
 * Scenarios run interleaved (A, B, C, A, B, C, …) for ADMISSION_ROUNDS rounds (3); each figure is
 * the median with the spread (min–max) over the rounds.
 */
import { readFileSync } from 'node:fs'
import { DatabaseCpu, recreateFunction, scratchDatabase } from './db.ts'
import { checkQuotas, cstDay, type QuotaInput } from '../src/abuse/limits.ts'
import { observeFresh, type Observation } from '../src/abuse/observe.ts'
import type { Executor } from '../src/db/client.ts'
import {
  attachPartition, createPartition, partitionName, preparePartition, readRecords
} from '../src/connectors/records.ts'
import { median, spread } from './stats.ts'

const CALLS = Number(process.env.ADMISSION_CALLS ?? 2000)
const ROUNDS = Number(process.env.ADMISSION_ROUNDS ?? 3)
const SNAPSHOT = 1
const POPULATION = 100_000
const QUOTAS = { requestsPerMinute: 1e9, subjectsPerDay: 1e9, subjectsPerCase: 1e9, namesPerSubjectPerDay: 1e9 }

const hash = (n: number): Buffer => {
  const b = Buffer.alloc(32)
  b.writeUInt32BE(n, 0)
  b.writeUInt32BE(n * 2654435761 >>> 0, 28)
  return b
}

export async function admissionBench (log: (line: string) => void): Promise<Record<string, unknown>> {
  const db = await scratchDatabase(2)
  const cpu = new DatabaseCpu(db.url)
  try {
    await createPartition(db.database, SNAPSHOT)
    await db.database.query(`insert into ${partitionName(SNAPSHOT)} (snapshot_id, subject_hash, key_version, attrs)
      select ${SNAPSHOT}, decode(lpad(to_hex(g), 8, '0') || repeat('00', 20) ||
        lpad(to_hex((g::bigint * 2654435761) % 4294967296), 8, '0'), 'hex'),
        1, jsonb_build_object('year', 2025, 'amount', g) from generate_series(0, ${POPULATION - 1}) g`)
    await preparePartition(db.database, SNAPSHOT)
    await attachPartition(db.database, SNAPSHOT)
    // The statement before this work, recreated from its migration (migration 0020 dropped it).
    const before = readFileSync(new URL('../migrations/0009_limit_batch.sql', import.meta.url), 'utf8')
    for (const statement of before.split('--> statement-breakpoint')) await db.database.query(statement)
    // The observation once per request, as migration 0072 found it (0004, with 0020's plan settings).
    await recreateFunction(async (text) => await db.database.query(text), 'shifou_observe',
      ['0004_quota_functions.sql', '0020_admission_apart.sql'])
    // As the service does: the limiter's statements on the relaxed connections, records on the others.
    const exec = db.database.relaxed

    let n = 0
    const request = (): QuotaInput => {
      n++
      const subject = n % 5 === 0 ? 10_000_000 + n : n % POPULATION
      return {
        client: 'c', organisation: 'o', quotas: QUOTAS, subject: hash(subject), prefix: hash(subject % 997),
        caseId: 'B-' + n, name: null, now: new Date()
      }
    }
    // The limiter, the records of the requests and the observation of the fresh ones, as the service runs them.
    const admitReadObserve = (observe: (db: Executor, batch: Observation[]) => Promise<unknown>) =>
      async (batch: QuotaInput[]): Promise<void> => {
        const decisions = await checkQuotas(exec, batch)
        const lookups = batch.map((q) => ({ snapshotId: SNAPSHOT, subjectHash: q.subject }))
        const read = await readRecords(db.database, lookups)
        const fresh = batch.filter((_, i) => decisions[i]!.fresh)
        await observe(exec, fresh.map((q) => ({
          client: q.client, organisation: q.organisation, subject: q.subject, prefix: q.prefix, now: q.now,
          known: read[batch.indexOf(q)]!.records.length > 0
        })))
      }
    const scenarios: Record<string, (batch: QuotaInput[]) => Promise<void>> = {
      'before: shifou_limit_batch (limits, records, observation)': async (batch) => {
        const rows = batch.map((q) => ({
          client: q.client, org: q.organisation, now: q.now.toISOString(), day: q.now.toISOString().slice(0, 10),
          subject: q.subject.toString('hex'), prefix: q.prefix.toString('hex'), case: q.caseId, name: null,
          rpm: 1e9, spd: 1e9, spc: 1e9, npd: 1e9,
          lookups: [{ s: SNAPSHOT, h: q.subject.toString('hex') }], probes: []
        }))
        await exec.query('select * from shifou_limit_batch($1::jsonb)', [JSON.stringify(rows)])
      },
      'now: shifou_admit, readRecords, observeFresh': admitReadObserve(observeFresh),
      'observation per request: shifou_admit, readRecords, shifou_observe': admitReadObserve(observeEach),
      'now: shifou_admit alone': async (batch) => { await checkQuotas(exec, batch) }
    }
    const out: Record<string, unknown> = {}
    for (const size of [1, 16]) {
      const per: Record<string, number[]> = {}
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, call] of Object.entries(scenarios)) {
          for (let w = 0; w < 50; w++) await call(Array.from({ length: size }, request)) // warm: plans made
          const start = await cpu.sample()
          const calls = Math.ceil(CALLS / size)
          for (let c = 0; c < calls; c++) await call(Array.from({ length: size }, request))
          const used = DatabaseCpu.between(start, await cpu.sample())
          ;(per[name] ??= []).push(Math.round(used * 1e6 / (calls * size)))
        }
      }
      for (const [name, us] of Object.entries(per)) {
        log(`batch ${String(size).padStart(2)}: ${name.padEnd(56)} ${median(us)} µs of PostgreSQL CPU an answer ` +
          `(${spread(us)})`)
        out[`${size}/${name}`] = us
      }
    }
    return out
  } finally {
    await cpu.close()
    await db.drop()
  }
}

/** The observation before migration 0072: shifou_observe once per request, through a lateral join. */
async function observeEach (db: Executor, batch: readonly Observation[]): Promise<void> {
  const rows = batch.map((o, i) => ({
    i, client: o.client, org: o.organisation, day: cstDay(o.now),
    subject: o.subject.toString('hex'), prefix: o.prefix.toString('hex'), known: o.known
  }))
  await db.query(
    `select u.i, o.* from jsonb_to_recordset($1::jsonb) as u(i integer, client text, org text, day date,
        subject text, prefix text, known boolean)
      cross join lateral shifou_observe(u.client, u.org, u.day, decode(u.subject, 'hex'), decode(u.prefix, 'hex'),
        u.known, '{}', '{}') as o
      order by u.i`, [JSON.stringify(rows)])
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await admissionBench((line) => { console.log(line) })
}
