/**
 * A long-running `shifou` command (a witness, a department agent) as a real child process: started
 * with a clean environment, waited for until its standard output says it is ready, killed when the
 * test ends if it is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { BIN } from './cli.ts'

export interface Teardown { teardown(fn: () => unknown): void }

export interface ServerProcess {
  process: ChildProcess
  /** what it printed on standard output up to being ready */
  stdout: string
  /** everything it wrote to standard error so far (its request log) */
  stderr: () => string
  /** sends `signal` (SIGTERM by default) and waits for it to exit */
  stop: (signal?: NodeJS.Signals) => Promise<void>
}

export async function startServerProcess (t: Teardown, args: string[], opts: {
  env?: Record<string, string>
  /** what its standard output shows once it is ready */
  ready: RegExp
  /** how long it may take to get there */
  timeoutMs: number
}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...opts.env },
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
    const timer = setTimeout(() => reject(new Error(`shifou ${args[0]!} did not start: ${stdout}${stderr}`)),
      opts.timeoutMs)
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString()
      if (opts.ready.test(stdout)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`shifou ${args[0]!} exited with ${String(code)}: ${stdout}${stderr}`))
    })
  })
  return {
    process: child,
    stdout,
    stderr: () => stderr,
    async stop (signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(signal)
      await exited
    }
  }
}
