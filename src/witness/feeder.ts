/**
 * The service's side of witnessing (design §14.5): every new checkpoint goes to each witness in
 * SHIFOU_WITNESSES with a consistency proof from the size that witness last cosigned, and the
 * cosignatures that come back are verified and stored (audit_cosignatures).
 *
 * Nothing here is on an answer's path: the audit writer only tells the feeder that a checkpoint
 * was signed, and each witness is fed in the background, one request at a time. A witness that is
 * down or refuses is counted (`onOutcome`, exported as metrics) and retried with back-off from 1 s
 * to a minute; the next checkpoint is sent as soon as it exists. A 409 (the witness has another
 * size, e.g. after another service process fed it) is retried at once with a proof from that size.
 */
import type { Executor } from '../db/client.ts'
import { openCheckpoint } from '../audit/checkpoint-note.ts'
import { latestCheckpoint, type StoredCheckpoint } from '../audit/checkpoint-store.ts'
import { cosignaturesBy, storeCosignature } from '../audit/cosignature-store.ts'
import { storedConsistencyProof } from '../audit/tree-store.ts'
import { cosignatureTimestamp, cosignatureV1Verifier } from '../crypto/cosignature.ts'
import type { Ed25519Verifier, NoteVerifier } from '../crypto/signed-note.ts'
import { addCheckpoint } from './client.ts'

export interface WitnessEndpoint {
  /** A label for logs and metrics (SHIFOU_WITNESSES `name`). */
  readonly name: string
  /** The submission prefix: add-checkpoint is `<url>/add-checkpoint`. */
  readonly url: string
  /** The witness's cosignature/v1 key. */
  readonly key: Ed25519Verifier
}

export type FeedResult =
  | 'cosigned' // a new cosignature stored
  | 'conflict' // a 409; resent with the witness's size
  | 'refused' // a 4xx: unknown log, bad signature, or not an extension of what it cosigned
  | 'unavailable' // no answer, a 5xx, or an answer that is not the protocol's
  | 'bad_cosignature' // a 200 whose cosignature does not verify with the configured key
  | 'ahead' // the witness cosigned a size beyond this log's latest checkpoint
  | 'error' // reading the log failed (the database)

export interface FeederOptions {
  database: Executor
  origin: string
  /** The log's checkpoint key, to open the checkpoint a witness cosigned. */
  logKey: Ed25519Verifier
  witnesses: readonly WitnessEndpoint[]
  timeoutMs?: number
  onOutcome?: (witness: string, result: FeedResult, detail?: string) => void
}

const FIRST_RETRY_MS = 1000
const MAX_RETRY_MS = 60_000
const MAX_CONFLICTS = 3

interface Feed {
  readonly endpoint: WitnessEndpoint
  readonly verifier: NoteVerifier
  readonly keyId: string
  /** The size this witness last cosigned, as far as we know; null until read from the database. */
  known: number | null
  running: Promise<void> | null
  again: boolean
  retryMs: number
  timer: NodeJS.Timeout | null
}

export class WitnessFeeder {
  readonly #opts: FeederOptions
  readonly #feeds: Feed[]
  #closed = false

  constructor (opts: FeederOptions) {
    this.#opts = opts
    this.#feeds = opts.witnesses.map((endpoint) => {
      const verifier = cosignatureV1Verifier(endpoint.key)
      const keyId = Buffer.from(verifier.keyId).toString('hex')
      return {
        endpoint, verifier, keyId, known: null, running: null, again: false, retryMs: FIRST_RETRY_MS, timer: null
      }
    })
  }

  /** The size each witness last cosigned, as far as this process knows. */
  sizes (): Array<{ witness: string, size: number }> {
    return this.#feeds.map((f) => ({ witness: f.endpoint.name, size: f.known ?? 0 }))
  }

  /** A new checkpoint exists (or the service started): send the latest to every witness. */
  notify (): void {
    for (const feed of this.#feeds) this.#kick(feed)
  }

  async close (): Promise<void> {
    this.#closed = true
    for (const feed of this.#feeds) if (feed.timer !== null) clearTimeout(feed.timer)
    await Promise.all(this.#feeds.map(async (f) => await f.running))
  }

  #kick (feed: Feed): void {
    if (this.#closed) return
    if (feed.running !== null) {
      feed.again = true
      return
    }
    if (feed.timer !== null) {
      clearTimeout(feed.timer)
      feed.timer = null
    }
    feed.running = (async () => {
      do {
        feed.again = false
        // Never a rejection: this promise has no one awaiting it, and an unhandled one ends the process.
        const ok = await this.#feed(feed).catch((err: unknown) => {
          this.#opts.onOutcome?.(feed.endpoint.name, 'error', (err as Error).message)
          return false
        })
        if (ok) {
          feed.retryMs = FIRST_RETRY_MS
        } else if (!this.#closed && !feed.again) {
          feed.timer = setTimeout(() => { feed.timer = null; this.#kick(feed) }, feed.retryMs)
          feed.timer.unref()
          feed.retryMs = Math.min(MAX_RETRY_MS, feed.retryMs * 2)
        }
      } while (feed.again && !this.#closed)
    })().finally(() => { feed.running = null })
  }

  /** Sends the latest checkpoint to one witness; true when it is cosigned (or nothing was to do). */
  async #feed (feed: Feed): Promise<boolean> {
    const { database } = this.#opts
    const report = (result: FeedResult, detail?: string): void => {
      this.#opts.onOutcome?.(feed.endpoint.name, result, detail)
    }
    let latest: StoredCheckpoint | null
    try {
      latest = await latestCheckpoint(database)
      if (latest === null) return true
      feed.known ??= (await cosignaturesBy(database, feed.endpoint.key.name, feed.keyId))[0]?.size ?? 0
    } catch (err) {
      report('error', (err as Error).message)
      return false
    }
    for (let conflicts = 0; conflicts <= MAX_CONFLICTS && !this.#closed; conflicts++) {
      const known: number = feed.known!
      if (known === latest.size) return true
      if (known > latest.size) {
        // Another process may have signed and sent a newer checkpoint since we read ours.
        const newer = await latestCheckpoint(database).catch(() => null)
        if (newer !== null && newer.size >= known) {
          latest = newer
          continue
        }
        report('ahead', `the witness cosigned size ${known}, beyond this log's latest checkpoint (${latest.size})`)
        return false
      }
      let proof: Uint8Array[]
      try {
        proof = known === 0 ? [] : await storedConsistencyProof(database, known, latest.size)
      } catch (err) {
        report('error', (err as Error).message)
        return false
      }
      const request = { oldSize: known, proof, note: latest.note }
      const outcome = await addCheckpoint(feed.endpoint.url, request, this.#opts.timeoutMs ?? 5000)
      if (outcome.kind === 'conflict') {
        report('conflict', `the witness last cosigned size ${outcome.size}`)
        feed.known = outcome.size
        continue
      }
      if (outcome.kind === 'refused') {
        report('refused', `HTTP ${outcome.status}: ${outcome.message}`)
        return false
      }
      if (outcome.kind === 'unavailable') {
        report('unavailable', outcome.message)
        return false
      }
      return await this.#store(feed, latest, outcome.signatures.map((s) => s.line + '\n').join(''), report)
    }
    return false
  }

  /** Verifies the witness's signature lines over the checkpoint and stores its cosignature. */
  async #store (
    feed: Feed, checkpoint: StoredCheckpoint, lines: string, report: (r: FeedResult, d?: string) => void
  ): Promise<boolean> {
    const expect = { origin: this.#opts.origin, cosigners: [feed.verifier] }
    const opened = openCheckpoint(checkpoint.note + lines, this.#opts.logKey, expect)
    const cosignature = opened.ok ? opened.checkpoint.cosignatures[0] : undefined
    const time = cosignature === undefined ? null : cosignatureTimestamp(cosignature)
    if (cosignature === undefined || time === null || time === 0) {
      report('bad_cosignature', opened.ok ? 'no cosignature by the configured key' : opened.message)
      return false
    }
    try {
      await storeCosignature(this.#opts.database, {
        size: checkpoint.size,
        witness: cosignature.name,
        keyId: feed.keyId,
        root: checkpoint.root,
        signature: cosignature.line,
        cosignedAt: time
      })
    } catch (err) {
      report('error', (err as Error).message)
      return false
    }
    feed.known = checkpoint.size
    report('cosigned')
    return true
  }
}
