/**
 * The witness's memory: per log, the latest checkpoint it cosigned. tlog-witness requires that it
 * is persisted before the cosignature is returned, and that checking the old size and recording
 * the new one are atomic (else two requests could roll the log back).
 *
 * It is one small JSON file, replaced atomically: written to a temporary file, fsync'd, renamed
 * over the old one, and the directory fsync'd, so after a crash the file is the old state or the
 * new one, never a mix, and a returned cosignature is never forgotten. A file rather than PGlite:
 * the state is a few hundred bytes per log, a witness should start in milliseconds with nothing
 * but Node, and an operator can read it with `cat`. Requests are serialised by the witness
 * (one writer per file; `lockDataDir` keeps a second process out).
 */
import {
  closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync
} from 'node:fs'
import { join } from 'node:path'

export interface LogState {
  readonly size: number
  /** base64 root hash */
  readonly root: string
  /** The checkpoint as cosigned: its text, the log's signature(s) and this witness's cosignature. */
  readonly note: string
  /** When it was cosigned (RFC 3339). */
  readonly cosignedAt: string
}

export type WitnessState = ReadonlyMap<string, LogState>

const FILE = 'state.json'

export function loadState (dir: string): Map<string, LogState> {
  const path = join(dir, FILE)
  if (!existsSync(path)) return new Map()
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { version?: number, logs?: Record<string, LogState> }
  if (parsed.version !== 1 || typeof parsed.logs !== 'object' || parsed.logs === null) {
    throw new Error(`${path} is not a shifou witness state file (version 1)`)
  }
  const state = new Map<string, LogState>()
  for (const [origin, log] of Object.entries(parsed.logs)) {
    const valid = Number.isSafeInteger(log.size) && log.size >= 0 &&
      typeof log.root === 'string' && typeof log.note === 'string'
    if (!valid) {
      throw new Error(`${path}: the state of a log is malformed`)
    }
    state.set(origin, log)
  }
  return state
}

/** Replaces the state file atomically and durably (write, fsync, rename, fsync the directory). */
export function saveState (dir: string, state: WitnessState): void {
  const path = join(dir, FILE)
  const temporary = path + '.tmp'
  const text = JSON.stringify({ version: 1, logs: Object.fromEntries(state) }, null, 2) + '\n'
  const fd = openSync(temporary, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(temporary, path)
  const dirFd = openSync(dir, 'r')
  try {
    fsyncSync(dirFd)
  } finally {
    closeSync(dirFd)
  }
}

/**
 * Keeps other witness processes out of `dir` while this one runs: two processes on one state
 * file could each cosign a different extension. A lock left by a process that died is taken over.
 */
export function lockDataDir (dir: string): () => void {
  const path = join(dir, 'witness.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid) + '\n', { flag: 'wx', mode: 0o600 })
      return () => { try { unlinkSync(path) } catch {} }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const pid = Number(readFileSync(path, 'utf8').trim())
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        // eslint-disable-next-line preserve-caught-error -- the lock file's EEXIST is expected, not the cause
        throw new Error(`another witness (pid ${pid}) is using ${dir}`)
      }
      unlinkSync(path)
    }
  }
  throw new Error(`cannot lock ${dir}`)
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
