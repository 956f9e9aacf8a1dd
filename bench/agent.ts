/**
 * The live department agent (design §14.3, issue 20): verification over a connector of kind
 * `agent` against the same population held as a local snapshot, same server, same run, in rounds
 * that alternate which goes first (A/B, B/A…); and the agent's own throughput of signed lookups.
 *
 *   node --import tsx bench/agent.ts   BENCH_ROWS (20,000) people, BENCH_SECONDS (5) per run,
 *                                      BENCH_ROUNDS (3), AGENT_CONNECTIONS (64)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { measure, startServer, type RunResult } from './http.ts'
import { databaseIsLocal } from './db.ts'
import {
  BENCH_MASTER, CLIENTS, QUESTIONS, SKEW_CONNECTORS, benchCsv, callerToken, runAlone, verificationBodies
} from './setup.ts'
import { Keyring } from '../src/keys/keyring.ts'
import { createConnector, createQuestion, updateClient } from '../src/registry/store.ts'
import { exportAgentKey } from '../src/agent/key.ts'
import { HUB_KEY_INFO, agentSigningKey, signingKeyFromSeed } from '../src/agent/identity.ts'
import { LOOKUP_PATH, signRequest } from '../src/agent/protocol.ts'
import type { Database } from '../src/db/client.ts'

const CONNECTIONS = Number(process.env.AGENT_CONNECTIONS ?? 64)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const ADMIN = { sub: 'bench', role: 'admin' } as const
const FIELDS = [{ name: 'year', type: 'integer' }, { name: 'amount', type: 'number' }]

export interface AgentFigures {
  local: RunResult[]
  agent: RunResult[]
  /** agent / local req/s, per round, and the median */
  ratios: number[]
  ratio: number
  /** signed lookups per second the agent answers on its own (one subject each) */
  agentLookupsPerSecond: number
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Registers `tax-agent` (kind agent, the tax connector's fields) and its question, for every bench client. */
async function registerAgent (database: Database, url: string, publicKey: string): Promise<void> {
  const deps = { database, onChange: () => {} }
  await createConnector(deps, ADMIN, {
    id: 'tax-agent',
    department: 'tax',
    title: 'Income tax, at the department',
    kind: 'agent',
    agent: { url, publicKey },
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields: FIELDS
  })
  await createQuestion(deps, ADMIN, {
    id: 'tax-agent.q0',
    connector: 'tax-agent',
    title: 'tax-agent.q0',
    params: { year: 'integer' },
    when: { any: { year: { eq: { param: 'year' } }, amount: { gt: 0 } } }
  })
  for (let c = 0; c < CLIENTS; c++) {
    await updateClient(deps, ADMIN, 'bench-' + c, {
      name: 'bench ' + c,
      organisation: 'bench-org-' + c,
      questions: [...QUESTIONS, ...SKEW_CONNECTORS.map((id) => id + '.q'), 'tax-agent.q0'],
      purposes: ['benchmark'],
      quotas: { requestsPerMinute: 10_000_000, subjectsPerDay: 10_000_000, subjectsPerCase: 10_000_000 }
    })
  }
}

async function startAgentProcess (dir: string, data: string, key: string, hubKey: string, port: number):
Promise<ChildProcess> {
  const bin = new URL('../bin/shifou.js', import.meta.url).pathname
  const child = spawn(process.execPath, [bin, 'agent', '--connector', 'tax-agent', '--data', data, '--hub-key', hubKey,
    '--port', String(port), '--data-dir', dir, '--as-of', '2026-11-01'], {
    env: { PATH: process.env.PATH ?? '', SHIFOU_AGENT_KEY: key, SHIFOU_AGENT_QUIET: '1' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('public key:')) resolve() })
    child.once('exit', (code) => reject(new Error('the agent exited with ' + String(code))))
  })
  return child
}

/** Signed lookups of one subject each, `connections` at a time, for `seconds`: lookups/s. */
async function agentThroughput (url: string, hubSeed: Uint8Array, seconds: number, connections: number):
Promise<number> {
  const hub = signingKeyFromSeed(hubSeed)
  const target = new URL(LOOKUP_PATH, url)
  const until = Date.now() + seconds * 1000
  let done = 0
  let n = 0
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < until) {
      const subject = (n++ % 65536).toString(16).padStart(64, '0')
      const body = Buffer.from(JSON.stringify({ connector: 'tax-agent', lookups: [{ subject }] }))
      const res = await fetch(target, { method: 'POST', headers: signRequest(target, body, hub, 'hub').headers, body })
      await res.arrayBuffer()
      if (res.status === 200) done++
    }
  }))
  return done / seconds
}

export async function agentBench (url: string, population: number, seconds: number, log: (line: string) => void,
  database: Database): Promise<AgentFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'shifou-bench-agent-'))
  const agentPort = 18131
  const keyring = new Keyring(new Map([[1, BENCH_MASTER]]))
  const hubSeed = keyring.derive(HUB_KEY_INFO)
  const data = join(dir, 'tax.csv')
  writeFileSync(data, [...benchCsv(population)].join(''))
  const agentDir = join(dir, 'agent')
  await registerAgent(database, `http://127.0.0.1:${agentPort}`, agentSigningKey(agentDir).publicKey)
  const key = exportAgentKey(keyring, {
    id: 'tax-agent', subjectField: 'id_number', subjectColumn: null, fields: FIELDS, maxRejectRatio: 0.01
  })
  const agent = await startAgentProcess(agentDir, data, key, signingKeyFromSeed(hubSeed).publicKey, agentPort)
  const server = await startServer(['service', url], 18123)
  const tokens = Array.from({ length: CLIENTS }, (_, c) => callerToken(c))
  const local = databaseIsLocal(url) ? url : null
  const bodies = {
    local: verificationBodies(population, ['tax.q0']),
    agent: verificationBodies(population, ['tax-agent.q0'])
  }
  const run = async (which: 'local' | 'agent'): Promise<RunResult> => await measure(server, {
    url: server.url,
    method: 'POST',
    path: '/v1/verifications',
    connections: CONNECTIONS,
    seconds,
    bodies: bodies[which],
    tokens
  }, local)
  const figures: AgentFigures = { local: [], agent: [], ratios: [], ratio: 0, agentLookupsPerSecond: 0 }
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const order: Array<'local' | 'agent'> = r % 2 === 0 ? ['local', 'agent'] : ['agent', 'local']
      const got: Partial<Record<'local' | 'agent', RunResult>> = {}
      for (const which of order) got[which] = await run(which)
      figures.local.push(got.local!)
      figures.agent.push(got.agent!)
      figures.ratios.push(got.agent!.rps / got.local!.rps)
      const row = (name: string, x: RunResult): string =>
        `${name}: ${Math.round(x.rps)} req/s, p50 ${x.p50} ms, p99 ${x.p99} ms, errors ${x.errors}, non-2xx ${x.non2xx}`
      log(`round ${r + 1} (${order.join(' then ')}): ${row('local', got.local!)}; ${row('agent', got.agent!)}`)
    }
    figures.ratio = median(figures.ratios)
    figures.agentLookupsPerSecond = await agentThroughput(`http://127.0.0.1:${agentPort}`, hubSeed, seconds, 16)
    log(`agent / local: ${figures.ratio.toFixed(2)}× req/s (median of ${ROUNDS}: ` +
      `${figures.ratios.map((x) => x.toFixed(2)).join(', ')}); p99 ${median(figures.agent.map((x) => x.p99))} ms ` +
      `against ${median(figures.local.map((x) => x.p99))} ms`)
    log(`the agent alone: ${Math.round(figures.agentLookupsPerSecond)} signed lookups/s ` +
      '(16 at a time, one subject each)')
    return figures
  } finally {
    await server.stop()
    agent.kill('SIGTERM')
    await once(agent, 'exit')
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runAlone('agent vs local snapshot', async (db, rows, seconds) =>
    await agentBench(db.url, rows, seconds, console.log, db.database))
}
