/**
 * Worker threads that convert a large load's rows (src/connectors/convert.ts) while the loading
 * thread reads the upload and writes COPY: on one thread, normalising, hashing and serialising
 * rows kept it at a full core. Batches go to the workers in turn; each worker answers its
 * batches in order, so the results are taken in the order the rows came.
 */
import { Worker } from 'node:worker_threads'
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

  constructor (spec: ConvertSpec, count: number) {
    this.#workers = Array.from({ length: count }, () => {
      const worker = new Worker(new URL('./convert-worker.mjs', import.meta.url), {
        workerData: spec,
        resourceLimits: WORKER_LIMITS
      })
      ConvertWorkers.started++
      const entry = { worker, waiting: [] as Waiting[] }
      worker.on('message', (c: Converted) => { entry.waiting.shift()?.resolve(c) })
      const fail = (err: Error): void => { for (const w of entry.waiting.splice(0)) w.reject(err) }
      worker.on('error', fail)
      worker.on('exit', (code) => { fail(new Error('a loader worker stopped with code ' + String(code))) })
      return entry
    })
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
