/**
 * shifou as it runs in production: `node bin/shifou.js serve` in a process of its own, on the
 * private cluster, with fixed test keys (those of bench/setup.ts, so its clients and tokens work).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { request } from 'node:http'
import { fileURLToPath } from 'node:url'
import { BENCH_MASTER, BENCH_SECRET } from '../../bench/setup.ts'

export const CHECKPOINT_SEED = new Uint8Array(32).fill(13)
export const ORIGIN = 'faults.shifou.local/audit'
const BIN = fileURLToPath(new URL('../../bin/shifou.js', import.meta.url))
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

export interface Service {
  readonly name: string
  readonly port: number
  readonly pid: number
  readonly exited: Promise<number | null>
  signal (signal: NodeJS.Signals): void
}

export interface ServiceOptions {
  name: string
  port: number
  databaseUrl: string
  timeoutMs: number
  /** stdout and stderr of the process go here. */
  logFile: string
}

/** Starts the service and resolves once /healthz answers. */
export async function startService (opts: ServiceOptions): Promise<Service> {
  const log = openSync(opts.logFile, 'a')
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: opts.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(opts.port),
      SHIFOU_MASTER_KEY: b64(BENCH_MASTER),
      SHIFOU_JWT_SECRET: b64(BENCH_SECRET),
      SHIFOU_CHECKPOINT_KEY: b64(CHECKPOINT_SEED),
      SHIFOU_AUDIT_ORIGIN: ORIGIN,
      SHIFOU_DB_TIMEOUT_MS: String(opts.timeoutMs),
      LOG_LEVEL: 'warn'
    },
    stdio: ['ignore', log, log]
  })
  closeSync(log)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const service: Service = {
    name: opts.name,
    port: opts.port,
    pid: child.pid!,
    exited,
    signal: (signal) => { child.kill(signal) }
  }
  const started = Date.now()
  let gone = false
  void exited.then(() => { gone = true })
  while (!await healthy(opts.port)) {
    if (gone) throw new Error(`service ${opts.name} exited while starting; see ${opts.logFile}`)
    if (Date.now() - started > 60_000) {
      throw new Error(`service ${opts.name} did not start within 60 s; see ${opts.logFile}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return service
}

async function healthy (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
    req.end()
  })
}
