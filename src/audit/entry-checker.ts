/**
 * Where `shifou audit verify` runs each entry's own checks (entry-check.ts): on its own thread, or
 * on a worker thread while its own thread reads the next page and folds the entries into the tree.
 * On its own thread the checks were about half of a verification's time, with PostgreSQL mostly
 * idle on the other core.
 */
import { Worker } from 'node:worker_threads'
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

/** The checks on a worker thread; pages are answered in the order they were sent. */
export class EntryCheckWorker implements EntryChecker {
  readonly #worker: Worker
  readonly #waiting: Waiting[] = []
  #failed: Error | null = null

  constructor () {
    this.#worker = new Worker(new URL('./entry-check-worker.mjs', import.meta.url))
    this.#worker.on('message', (p: PageProblem | null) => { this.#waiting.shift()?.resolve(p) })
    const fail = (err: Error): void => {
      this.#failed ??= err
      for (const w of this.#waiting.splice(0)) w.reject(err)
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', (code) => { fail(new Error('the audit check worker stopped with code ' + String(code))) })
  }

  async check (rows: readonly EntryRow[], first: number): Promise<PageProblem | null> {
    if (this.#failed !== null) throw this.#failed
    return await new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject })
      this.#worker.postMessage({ rows, first })
    })
  }

  /** Ends the worker once it has answered what it was sent (or at once, if it has stopped). */
  async close (): Promise<void> {
    if (this.#failed !== null) return
    const exited = new Promise<void>((resolve) => { this.#worker.once('exit', () => { resolve() }) })
    this.#worker.postMessage(null)
    await exited
  }
}
