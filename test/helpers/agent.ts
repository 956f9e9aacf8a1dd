/**
 * A real `shifou agent` process on loopback (port 0), as a department runs it: its own data
 * directory, the connector's exported key in SHIFOU_AGENT_KEY, the hub's public key.
 */
import type { ChildProcess } from 'node:child_process'
import { startServerProcess, type Teardown } from './server-process.ts'

export interface RunningAgent {
  url: string
  publicKey: string
  process: ChildProcess
  stderr: () => string
  stop: (signal?: NodeJS.Signals) => Promise<void>
}

export interface AgentArgs {
  connector: string
  data: string
  hubKey: string
  agentKey: string
  dataDir: string
  port?: number
  extra?: string[]
  /** instead of `data`: the department's database and the query the agent reads */
  source?: { url: string, query: string }
}

export async function startAgent (t: Teardown, a: AgentArgs): Promise<RunningAgent> {
  const from = a.source === undefined ? ['--data', a.data] : ['--source-url', a.source.url, '--query', a.source.query]
  const args = ['agent', '--connector', a.connector, ...from, '--hub-key', a.hubKey,
    '--port', String(a.port ?? 0), '--data-dir', a.dataDir, ...(a.extra ?? [])]
  const server = await startServerProcess(t, args,
    { env: { SHIFOU_AGENT_KEY: a.agentKey }, ready: /public key: \S+\n/, timeoutMs: 150_000 })
  return {
    url: /listening on (\S+)/.exec(server.stdout)![1]!,
    publicKey: /public key: (\S+)/.exec(server.stdout)![1]!,
    process: server.process,
    stderr: server.stderr,
    stop: server.stop
  }
}
