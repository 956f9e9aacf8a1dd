/** Starting a bench server in its own process, and one autocannon run with fixed parameters. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import autocannon from 'autocannon'
import { DatabaseCpu } from './db.ts'

export interface Server { proc: ChildProcess, url: string, peakRssMb: () => number, stop: () => Promise<void> }

export async function startServer (args: string[], port: number): Promise<Server> {
  const profDir = process.env.BENCH_PROF_DIR
  const profile = profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir=' + profDir]
  const script = new URL('./server.ts', import.meta.url).pathname
  const argv = [...profile, '--import', 'tsx', script, args[0]!, String(port), ...args.slice(1)]
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
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

export interface RunResult {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  requests: number
  /** CPU time per 2xx response, in µs, of each side (see `cpuPerResponse`); absent where not measured. */
  cpu?: CpuPerResponse
}

/**
 * Where an answer's time goes, from the kernel's accounting (/proc, Linux): the CPU time of the
 * server's processes, of the bench database's own PostgreSQL backends (bench/db.ts, DatabaseCpu:
 * not the other databases' backends of a shared machine, nor the server's background writers) and
 * of the load generator (this process) over one run, divided by the 2xx responses. The database's
 * figure is given only when the database is on this machine (null otherwise).
 */
export interface CpuPerResponse {
  server: number
  /**
   * The part of `server` spent on the servers' main threads, where JavaScript runs: the rest is
   * their helper threads' (garbage collection, libuv's pool, worker threads).
   */
  serverThread: number
  /**
   * The time the servers' main threads were ready to run but waited for a core (the kernel's run
   * queue, /proc/<pid>/task/<pid>/schedstat): what the other processes of the machine took from them.
   */
  serverThreadWait: number
  database: number | null
  loadGenerator: number
}

interface CpuSample {
  server: number
  serverThread: number
  serverThreadWait: number
  database: number | null
  loadGenerator: number
}

/**
 * utime + stime of a process, or of one thread of it (`/proc/<pid>/task/<tid>/stat`), in seconds;
 * 0 if it is gone or unreadable.
 */
function processCpu (pid: number, tid?: number): number {
  try {
    // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** Seconds a thread waited on a run queue for a core (the second field of its schedstat); 0 if unreadable. */
function runQueueWait (pid: number, tid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e9
  } catch {
    return 0
  }
}

function sampleCpu (server: Server): Omit<CpuSample, 'database'> {
  // The server and, with BENCH_PROCS > 1, its cluster's processes.
  const children: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === server.proc.pid) children.push(Number(name))
    } catch {}
  }
  const own = process.cpuUsage()
  const pids = [server.proc.pid!, ...children]
  return {
    server: pids.reduce((t, pid) => t + processCpu(pid), 0),
    // A process's main thread has the process's id.
    serverThread: pids.reduce((t, pid) => t + processCpu(pid, pid), 0),
    serverThreadWait: pids.reduce((t, pid) => t + runQueueWait(pid, pid), 0),
    loadGenerator: (own.user + own.system) / 1e6
  }
}

function cpuPerResponse (before: CpuSample, after: CpuSample, responses: number): CpuPerResponse {
  const us = (seconds: number): number => Math.round(seconds * 1e6 / Math.max(1, responses))
  return {
    server: us(after.server - before.server),
    serverThread: us(after.serverThread - before.serverThread),
    serverThreadWait: us(after.serverThreadWait - before.serverThreadWait),
    database: before.database === null || after.database === null ? null : us(after.database - before.database),
    loadGenerator: us(after.loadGenerator - before.loadGenerator)
  }
}

/** Seconds of load before each measured run, not counted: the server's code is compiled hot by then. */
export const WARMUP_SECONDS = 2

/**
 * One autocannon run against `server` after a warm-up, with the CPU time per response of each side
 * where the kernel shows it (Linux's /proc; elsewhere the run has no `cpu`). `databaseUrl`: the
 * bench database, when it is on this machine (its backends' CPU is then counted), else null.
 */
export async function measure (server: Server, o: RunOptions, databaseUrl: string | null): Promise<RunResult> {
  await run({ ...o, seconds: WARMUP_SECONDS })
  if (!existsSync('/proc/self/stat')) return await run(o)
  const database = databaseUrl === null ? null : new DatabaseCpu(databaseUrl)
  try {
    const before = { ...sampleCpu(server), database: await database?.sample() ?? null }
    const result = await run(o)
    const after = { ...sampleCpu(server), database: await database?.sample() ?? null }
    const used = before.database === null || after.database === null
      ? null
      : DatabaseCpu.between(before.database, after.database)
    return {
      ...result,
      cpu: cpuPerResponse({ ...before, database: 0 }, { ...after, database: used }, result.requests - result.non2xx)
    }
  } finally {
    await database?.close()
  }
}

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
  type ResponseListener = (client: unknown, statusCode: number, bytes: number, responseTime: number) => void
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
  } as unknown as autocannon.Options) as unknown as Promise<autocannon.Result> & {
    on: (event: 'response', fn: ResponseListener) => void
  }
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) times.push(responseTime)
  })
  const result = await instance
  times.sort((a, b) => a - b)
  const percentile = (p: number): number => {
    if (times.length === 0) return NaN
    return Math.round(times[Math.min(times.length - 1, Math.floor(times.length * p))]! * 100) / 100
  }
  return {
    rps: result.requests.average,
    p50: percentile(0.5),
    p99: percentile(0.99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total
  }
}
