/**
 * Runs the real command, `node bin/shifou.js`, as a user would: a child process with a clean
 * environment (PATH and HOME only, plus what the test gives), in a directory of the test's own.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/shifou.js', import.meta.url))

export interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

export interface RunOptions {
  cwd: string
  env?: Record<string, string>
  /** Close our end of the child's standard output (or error) at once, as `| head -1` or `| true` do. */
  closeStdout?: boolean
  closeStderr?: boolean
  /** Text for its standard input. */
  stdin?: string
  /** Kill it after this long (a command that should have refused to start must not hang the test). */
  timeoutMs?: number
}

export async function shifou (args: string[], opts: RunOptions): Promise<Run> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: opts.cwd, ...opts.env },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    const out = child.stdout!
    const err = child.stderr!
    if (opts.closeStdout === true) out.destroy()
    else out.on('data', (c: Buffer) => { stdout += c.toString() })
    if (opts.closeStderr === true) err.destroy()
    else err.on('data', (c: Buffer) => { stderr += c.toString() })
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin)
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

/** A local port on which nothing listens (one just closed). */
export async function closedPort (): Promise<number> {
  const { createServer } = await import('node:net')
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise((resolve) => probe.close(resolve))
  return port
}
