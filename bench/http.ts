/** Starting a bench server in its own process, and one autocannon run with fixed parameters. */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

export interface Server { proc: ChildProcess, url: string, peakRssMb: () => number, stop: () => Promise<void> }

export async function startServer (args: string[], port: number): Promise<Server> {
  const proc = spawn(process.execPath, [...(process.env.BENCH_PROF_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_PROF_DIR]), '--import', 'tsx', new URL('./server.ts', import.meta.url).pathname, args[0]!, String(port), ...args.slice(1)], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve() })
    proc.once('exit', (code) => reject(new Error('server exited with ' + String(code))))
  })
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    peakRssMb: () => {
      // VmHWM: the process's peak resident set size so far.
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))
      return m === null ? NaN : Number(m[1]) / 1024
    },
    stop: async () => {
      proc.kill('SIGTERM')
      await new Promise((resolve) => proc.once('exit', resolve))
    }
  }
}

export interface RunResult { rps: number, p50: number, p99: number, errors: number, non2xx: number, requests: number }

export interface RunOptions {
  url: string
  method?: 'GET' | 'POST'
  path: string
  connections: number
  seconds: number
  bodies?: string[]
  /** one bearer token per connection (connection i uses tokens[i % length]) */
  tokens?: string[]
}

export async function run (o: RunOptions): Promise<RunResult> {
  let next = 0
  let conn = 0
  // Latencies of 2xx responses as measured (fractions of a millisecond): autocannon's own
  // percentiles are whole milliseconds, too coarse to compare a 4 ms p50 with a 5 ms one.
  const times: number[] = []
  const instance = autocannon({
    url: o.url,
    connections: o.connections,
    duration: o.seconds,
    pipelining: 1,
    requests: [{
      method: o.method ?? 'GET',
      path: o.path,
      setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => {
        if (context.token === undefined && o.tokens !== undefined) context.token = o.tokens[conn++ % o.tokens.length]
        const headers: Record<string, string> = { 'content-type': 'application/json' }
        if (typeof context.token === 'string') headers.authorization = 'Bearer ' + context.token
        const out: Record<string, unknown> = { ...req, headers }
        if (o.bodies !== undefined) out.body = o.bodies[next++ % o.bodies.length]
        return out
      }
    }]
  } as unknown as autocannon.Options) as unknown as Promise<autocannon.Result> & { on: (event: 'response', fn: (client: unknown, statusCode: number, bytes: number, responseTime: number) => void) => void }
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) times.push(responseTime)
  })
  const result = await instance
  times.sort((a, b) => a - b)
  const percentile = (p: number): number => times.length === 0 ? NaN : Math.round(times[Math.min(times.length - 1, Math.floor(times.length * p))]! * 100) / 100
  return {
    rps: result.requests.average,
    p50: percentile(0.5),
    p99: percentile(0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total
  }
}
