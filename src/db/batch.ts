/**
 * One statement for the requests of one moment. Items handed in while a batch is with the
 * database wait, and go to the database together in the next statement: under load a round trip
 * per request was most of an answer's cost (a socket write each way, and a statement for
 * PostgreSQL to parse, plan and execute), where a batch costs one.
 *
 * A batch leaves at the end of the event loop's current turn (setImmediate), not at the first
 * item: under load one turn handles many requests' events, and each would otherwise have left
 * alone whenever no batch was out — a statement, a socket write and a wake-up of the database per
 * request. Measured at 64 connections (bench/README.md, "Quiet machine, before and after batches
 * per event-loop turn"): +15% answers/s and less PostgreSQL CPU per answer. When idle, the wait is
 * the rest of one turn.
 *
 * `run` gets the items of a batch and returns their results in the same order; if it fails, every
 * item of the batch is rejected with its error.
 */
interface Waiting<I, O> { item: I, resolve: (result: O) => void, reject: (err: Error) => void }

export class StatementBatcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>
  readonly #max: number
  #queue: Array<Waiting<I, O>> = []
  /** a batch is with the database, or about to leave */
  #busy = false

  constructor (run: (items: I[]) => Promise<O[]>, opts: { maxBatch?: number } = {}) {
    this.#run = run
    this.#max = opts.maxBatch ?? 500
  }

  submit (item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject })
      if (this.#busy) return
      this.#busy = true
      setImmediate(() => { void this.#flush() })
    })
  }

  async #flush (): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#max)
      try {
        const results = await this.#run(batch.map((w) => w.item))
        if (results.length !== batch.length) {
          throw new Error(`a batched statement returned ${results.length} results for ${batch.length} items`)
        }
        batch.forEach((w, i) => { w.resolve(results[i]!) })
      } catch (err) {
        for (const w of batch) w.reject(err as Error)
      }
    }
    this.#busy = false
  }
}
