/**
 * Worker threads that convert a large load's rows (src/connectors/convert.ts) while the loading
 * thread reads the upload and writes COPY: on one thread, normalising, hashing and serialising
 * rows kept it at a full core. Batches go to the workers in turn; each worker answers its
 * batches in order, so the results are taken in the order the rows came.
 */
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../threads.ts'
import type { Converted, ConvertSpec, RowBatch } from './convert.ts'

/**
 * A worker keeps nothing between batches; its heap is capped so that its memory stays a small
 * fixed cost and a worker that held rows would fail the load. The young generation's size trades
 * memory for collections: in 1M-row loads 4 MiB spent 27% of a worker's time collecting, 16 MiB
 * (the default) took the process ~20 MiB higher than 8 MiB, which was as fast as either.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 }

interface Waiting { resolve: (c: Converted) => void, reject: (err: Error) => void }

export class ConvertWorkers {
  /** Worker threads started by this process so far. */
  static started = 0
  readonly #workers: Array<{ worker: Worker, waiting: Waiting[] }>
  #next = 0

  private constructor (workers: Worker[]) {
    this.#workers = workers.map((worker) => {
      const entry = { worker, waiting: [] as Waiting[] }
      worker.on('message', (c: Converted) => { entry.waiting.shift()?.resolve(c) })
      const fail = (err: Error): void => { for (const w of entry.waiting.splice(0)) w.reject(err) }
      worker.on('error', fail)
      worker.on('exit', (code) => { fail(new Error('a loader worker stopped with code ' + String(code))) })
      return entry
    })
  }

  /** Starts `count` workers converting under `spec` (src/threads.ts: without a loader of their own). */
  static async start (spec: ConvertSpec, count: number): Promise<ConvertWorkers> {
    const entry = new URL('./convert-worker.ts', import.meta.url)
    const workers = await Promise.all(Array.from({ length: count },
      async () => await startWorker(entry, { workerData: spec, resourceLimits: WORKER_LIMITS })))
    ConvertWorkers.started += count
    return new ConvertWorkers(workers)
  }

  convert (batch: RowBatch): Promise<Converted> {
    const entry = this.#workers[this.#next++ % this.#workers.length]!
    return new Promise((resolve, reject) => {
      entry.waiting.push({ resolve, reject })
      entry.worker.postMessage(batch)
    })
  }

  async close (): Promise<void> {
    await Promise.all(this.#workers.map(async (w) => await w.worker.terminate()))
  }
}
