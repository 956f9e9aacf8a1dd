/**
 * Where `shifou audit verify` runs each entry's own checks (entry-check.ts): on its own thread, or
 * on a worker thread while its own thread reads the next page and folds the entries into the tree.
 * On its own thread the checks were about half of a verification's time, with PostgreSQL mostly
 * idle on the other core.
 */
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../threads.ts'
import { checkPage, type EntryRow, type PageProblem } from './entry-check.ts'

export interface EntryChecker {
  /** The first entry of the page that fails its checks (`first`: the index its first row should hold). */
  check(rows: readonly EntryRow[], first: number): Promise<PageProblem | null>
  close(): Promise<void>
}

/** The checks on the calling thread. */
export const CHECK_HERE: EntryChecker = {
  async check (rows, first) { return checkPage(rows, first) },
  async close () {}
}

/**
 * The checks on `checker`, and on the calling thread for a page it fails to answer (a worker
 * thread that could not start, or stopped): the findings are the same, only later.
 */
export function orHere (checker: EntryChecker): EntryChecker {
  return {
    async check (rows, first) {
      try {
        return await checker.check(rows, first)
      } catch {
        return checkPage(rows, first)
      }
    },
    async close () { await checker.close() }
  }
}

interface Waiting { resolve: (p: PageProblem | null) => void, reject: (err: Error) => void }

/**
 * The checks on a worker thread (started by src/threads.ts, without a loader of its own); pages are
 * answered in the order they were sent.
 */
export class EntryCheckWorker implements EntryChecker {
  readonly #worker: Promise<Worker | null>
  readonly #waiting: Waiting[] = []
  #failed: Error | null = null

  constructor () {
    this.#worker = startWorker(new URL('./entry-check-worker.ts', import.meta.url)).then((worker) => {
      worker.on('message', (p: PageProblem | null) => { this.#waiting.shift()?.resolve(p) })
      worker.on('error', (err) => { this.#fail(err) })
      worker.on('exit', (code) => { this.#fail(new Error('the audit check worker stopped with code ' + String(code))) })
      return worker
    }, (err: unknown) => {
      this.#fail(err instanceof Error ? err : new Error('the audit check worker could not start'))
      return null
    })
  }

  #fail (err: Error): void {
    this.#failed ??= err
    for (const w of this.#waiting.splice(0)) w.reject(err)
  }

  async check (rows: readonly EntryRow[], first: number): Promise<PageProblem | null> {
    const worker = await this.#worker
    if (this.#failed !== null || worker === null) throw this.#failed
    return await new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject })
      worker.postMessage({ rows, first })
    })
  }

  /** Ends the worker once it has answered what it was sent (or at once, if it has stopped). */
  async close (): Promise<void> {
    const worker = await this.#worker
    if (this.#failed !== null || worker === null) return
    const exited = new Promise<void>((resolve) => { worker.once('exit', () => { resolve() }) })
    worker.postMessage(null)
    await exited
  }
}
