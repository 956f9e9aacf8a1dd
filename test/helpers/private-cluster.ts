/**
 * A PostgreSQL cluster of a test's own (initdb under the system's temp directory, on a free port),
 * for fault tests that restart or stop the server: the shared server is never touched. Needs the
 * PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql; run as root,
 * the cluster belongs to the `postgres` user (initdb refuses root).
 */
import { execFile } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Teardown } from './db.ts'

const run = promisify(execFile)

function binary (name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) if (existsSync(join(dir, name))) return join(dir, name)
  const lib = '/usr/lib/postgresql'
  if (existsSync(lib)) {
    for (const v of readdirSync(lib).sort().reverse()) {
      if (existsSync(join(lib, v, 'bin', name))) return join(lib, v, 'bin', name)
    }
  }
  throw new Error(`the private-cluster fault tests need the PostgreSQL server binary ${name}`)
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => { resolve(typeof a === 'object' && a !== null ? a.port : 0) })
    })
  })
}

export interface PrivateCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string
  /** pg_ctl restart -m fast: every connection is ended, the server is back when it resolves */
  restart (): Promise<void>
  stop (): Promise<void>
  start (): Promise<void>
}

export async function privateCluster (t: Teardown): Promise<PrivateCluster> {
  const initdb = binary('initdb')
  const pgCtl = binary('pg_ctl')
  const root = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'shifou-pg-'))
  const data = join(dir, 'data')
  if (root) chownSync(dir, uidOf('postgres'), gidOf('postgres'))
  const as = async (file: string, args: string[]): Promise<void> => {
    if (root) await run('runuser', ['-u', 'postgres', '--', file, ...args])
    else await run(file, args)
  }
  const port = await freePort()
  await as(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`
  const ctl = async (...args: string[]): Promise<void> => {
    await as(pgCtl, ['-D', data, '-w', '-t', '60', '-o', options, '-l', join(dir, 'log'), ...args])
  }
  await ctl('start')
  t.teardown(async () => {
    await as(pgCtl, ['-D', data, '-m', 'immediate', 'stop']).catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    restart: async () => { await ctl('-m', 'fast', 'restart') },
    stop: async () => { await as(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']) },
    start: async () => { await ctl('start') }
  }
}

function uidOf (user: string): number { return Number(lookup(user, 2)) }
function gidOf (user: string): number { return Number(lookup(user, 3)) }
function lookup (user: string, field: number): string {
  // /etc/passwd: name:x:uid:gid:…
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(user + ':'))
  if (line === undefined) throw new Error(`no user ${user} to own the private cluster`)
  return line.split(':')[field]!
}
