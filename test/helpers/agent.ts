/**
 * A real `shifou agent` process on loopback (port 0), as a department runs it: its own data
 * directory, the connector's exported key in SHIFOU_AGENT_KEY, the hub's public key.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { BIN } from './cli.ts'

export interface Teardown { teardown(fn: () => unknown): void }

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
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', SHIFOU_AGENT_KEY: a.agentKey },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start: ${stdout}${stderr}`)), 150_000)
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString()
      if (/public key: \S+\n/.test(stdout)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the agent exited with ${String(code)}: ${stdout}${stderr}`))
    })
  })
  return {
    url: /listening on (\S+)/.exec(stdout)![1]!,
    publicKey: /public key: (\S+)/.exec(stdout)![1]!,
    process: child,
    stderr: () => stderr,
    async stop (signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(signal)
      await exited
    }
  }
}
