/**
 * A private PostgreSQL cluster for fault tests: initdb under /tmp, its own port, started, stopped,
 * restarted and frozen (SIGSTOP) at will — never the shared server on 5432. Run as root, the
 * cluster's programs run as the `postgres` OS user (initdb refuses root).
 */
import { execFile } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The newest PostgreSQL's programs: /usr/lib/postgresql/<version>/bin, or PG_BIN. */
export function postgresBin (): string | null {
  if (process.env.PG_BIN !== undefined && process.env.PG_BIN !== '') return process.env.PG_BIN
  try {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    return versions.length === 0 ? null : join('/usr/lib/postgresql', versions[0]!, 'bin')
  } catch {
    return null
  }
}

/** A port nobody listens on now. */
export async function sparePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export type StopMode = 'smart' | 'fast' | 'immediate'

export interface Cluster {
  readonly port: number
  readonly dir: string
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url (database?: string): string
  start (): Promise<void>
  stop (mode?: StopMode): Promise<void>
  restart (mode?: StopMode): Promise<void>
  /** The postmaster and every process it started (backends, checkpointer, …). */
  pids (): number[]
  /** Sends a signal to the postmaster and all its children: SIGSTOP freezes the whole server. */
  signal (signal: 'SIGSTOP' | 'SIGCONT'): number[]
  /** Stops the cluster (immediately) and removes its directory. */
  destroy (): Promise<void>
}

export interface ClusterOptions {
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>
}

export async function createCluster (opts: ClusterOptions = {}): Promise<Cluster> {
  const bin = postgresBin()
  if (bin === null) throw new Error('no PostgreSQL programs found under /usr/lib/postgresql (set PG_BIN)')
  const asRoot = userInfo().uid === 0
  const dir = mkdtempSync(join(tmpdir(), 'shifou-pg-'))
  const data = join(dir, 'data')
  const port = await sparePort()
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim()))
    const gid = await run('id', ['-g', 'postgres']).then((r) => Number(r.stdout.trim()))
    chownSync(dir, ids, gid)
  }
  const pg = async (program: string, args: string[]): Promise<void> => {
    const file = join(bin, program)
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir })
    else await run(file, args, { cwd: dir })
  }
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  const settings: Record<string, string | number> = {
    port,
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${dir}'`,
    shared_buffers: "'64MB'",
    max_connections: 200,
    log_min_messages: 'warning',
    ...opts.settings
  }
  const conf = Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join('\n') + '\n'
  writeFileSync(join(data, 'postgresql.conf'), readFileSync(join(data, 'postgresql.conf'), 'utf8') + '\n' + conf)
  if (asRoot) await run('chown', ['postgres:postgres', join(data, 'postgresql.conf')])

  const ctl = async (...args: string[]): Promise<void> => {
    await pg('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', ...args])
  }
  const postmaster = (): number => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  const cluster: Cluster = {
    port,
    dir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => { await ctl('start') },
    stop: async (mode = 'fast') => { await ctl('stop', '-m', mode) },
    restart: async (mode = 'fast') => { await ctl('restart', '-m', mode) },
    pids () {
      const root = postmaster()
      const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
        try {
          // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so parse after ')'.
          const stat = readFileSync(`/proc/${p}/stat`, 'utf8')
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
          return ppid === root ? [Number(p)] : []
        } catch {
          return []
        }
      })
      return [root, ...children]
    },
    signal (signal) {
      // SIGSTOP: the postmaster first, so that it starts no process that the list below misses.
      const root = postmaster()
      if (signal === 'SIGSTOP') process.kill(root, signal)
      const pids = cluster.pids()
      for (const pid of pids) {
        if (signal === 'SIGSTOP' && pid === root) continue
        try { process.kill(pid, signal) } catch { /* exited meanwhile */ }
      }
      return pids
    },
    async destroy () {
      try { cluster.signal('SIGCONT') } catch { /* not running */ }
      await cluster.stop('immediate').catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
  await cluster.start()
  return cluster
}
