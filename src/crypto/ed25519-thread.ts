/**
 * Ed25519 signatures (RFC 8032 §5.1.6) made on a worker thread, so that the thread that answers
 * requests does not make them: every answer's receipt is one signature, and on the two-core bench
 * machine the answering thread was the service's bottleneck (bench/README.md) while the other core
 * had room.
 *
 * The signatures asked for in one moment (one turn of the event loop's microtasks: the receipts of
 * one committed batch of answers) go to the worker as one message and come back as one, in order.
 * Keys go to the worker once each, by their id (a receipt key's kid); a KeyObject is copied, not
 * its PEM or DER, when it is posted (node:crypto).
 *
 * The worker runs at a lower priority (nice 10) than the answering thread. Each batch it is sent
 * wakes it, and when both cores were busy the woken worker took the answering thread's core from it
 * in the middle of its work: the answering thread, the one that every request waits on, then waited
 * for a core while the worker signed what could have waited a moment. At nice 10 the worker still
 * has a core whenever one is free, and yields it to the answering thread when not (bench/README.md:
 * +12% answers/s and a lower p99 at 64 connections).
 *
 * Ed25519 signing is deterministic: a signature made on either thread is the same bytes. A worker
 * that cannot start, or that stops, leaves its work — what it had been sent included — to this
 * thread, and every later signature is made here; only the speed differs.
 */
import { sign, type KeyObject } from 'node:crypto'
import type { Worker } from 'node:worker_threads'
import { startWorker } from '../threads.ts'

/** A private key with the id that names it to the worker (a key's id names one key, always). */
export interface IdentifiedKey {
  id: string
  privateKey: KeyObject
}

export interface Ed25519Signer {
  /** The Ed25519 signature (64 bytes) of `message`. */
  sign (message: Uint8Array, key: IdentifiedKey): Promise<Uint8Array>
  /** Stops the worker, if any; signatures asked for later are made on the calling thread. */
  close (): Promise<void>
}

/** The message a worker is sent: keys it has not yet been given, then what to sign with which. */
export interface SignBatch {
  keys: Array<[string, KeyObject]>
  items: Array<[string, Uint8Array]>
}

/** Signs on the calling thread. */
export const SIGN_HERE: Ed25519Signer = {
  async sign (message, key) { return sign(null, message, key.privateKey) },
  async close () {}
}

interface Job {
  message: Uint8Array
  key: IdentifiedKey
  resolve: (signature: Uint8Array) => void
  reject: (err: unknown) => void
}

function signHere (job: Job): void {
  try {
    job.resolve(sign(null, job.message, job.key.privateKey))
  } catch (err) {
    job.reject(err)
  }
}

async function startSigningWorker (): Promise<Worker> {
  return await startWorker(new URL('./ed25519-worker.ts', import.meta.url))
}

export class Ed25519Thread implements Ed25519Signer {
  readonly #start: () => Promise<Worker>
  /** started at the first signature; null once it failed or was closed */
  #worker: Promise<Worker | null> | null = null
  readonly #given = new Set<string>()
  /** asked for, not yet sent */
  #queue: Job[] = []
  /** sent, in order, not yet answered */
  readonly #sent: Job[][] = []
  #here = false
  #signedThere = 0

  /** `start` is for tests: a worker of their own. */
  constructor (start: () => Promise<Worker> = startSigningWorker) {
    this.#start = start
  }

  /** How many signatures the worker has made. */
  get signedOnWorker (): number {
    return this.#signedThere
  }

  async sign (message: Uint8Array, key: IdentifiedKey): Promise<Uint8Array> {
    return await new Promise((resolve, reject) => {
      const job = { message, key, resolve, reject }
      if (this.#here) return signHere(job)
      if (this.#queue.push(job) === 1) queueMicrotask(() => { void this.#flush() })
    })
  }

  async #flush (): Promise<void> {
    const jobs = this.#queue
    this.#queue = []
    const worker = await (this.#worker ??= this.#started())
    if (worker === null) {
      for (const job of jobs) signHere(job)
      return
    }
    const batch: SignBatch = { keys: [], items: [] }
    for (const { message, key } of jobs) {
      if (!this.#given.has(key.id)) {
        this.#given.add(key.id)
        batch.keys.push([key.id, key.privateKey])
      }
      batch.items.push([key.id, message])
    }
    // The worker keeps the process alive only while it has work.
    if (this.#sent.push(jobs) === 1) worker.ref()
    worker.postMessage(batch)
  }

  async #started (): Promise<Worker | null> {
    let worker: Worker
    try {
      worker = await this.#start()
    } catch {
      this.#giveUp()
      return null
    }
    worker.unref()
    worker.on('message', (signatures: Uint8Array) => {
      const jobs = this.#sent.shift() ?? []
      if (this.#sent.length === 0) worker.unref()
      this.#signedThere += jobs.length
      jobs.forEach((job, i) => { job.resolve(signatures.subarray(64 * i, 64 * (i + 1))) })
    })
    const failed = (): void => {
      this.#giveUp()
      for (const jobs of this.#sent.splice(0)) for (const job of jobs) signHere(job)
    }
    worker.once('error', failed)
    worker.once('exit', failed)
    return worker
  }

  /** From now on, everything is signed on this thread. */
  #giveUp (): void {
    this.#here = true
    this.#worker = Promise.resolve(null)
  }

  async close (): Promise<void> {
    const worker = await this.#worker
    this.#giveUp()
    await worker?.terminate()
  }
}
