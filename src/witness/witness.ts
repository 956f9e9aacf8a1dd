/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness): it cosigns a log's checkpoint only if the
 * checkpoint is signed by the log's key and is a consistent extension of the last checkpoint it
 * cosigned for that log — so that a log which truncates or rewrites its history cannot get it
 * cosigned, and the witness's latest cosigned checkpoint is evidence of what the log had signed.
 *
 * add-checkpoint (§add-checkpoint), in the order of the spec:
 *   400  malformed body, or old size > checkpoint size
 *   404  unknown origin
 *   403  no valid signature by the log's key (or a bad one)
 *   409  old size ≠ the size last cosigned; body: that size (text/x.tlog.size)
 *   422  bad consistency proof; non-empty proof from 0; same size, other root; size 0, non-empty root
 *   200  cosignature line(s), after the new state is durable
 * Checking the old size and recording the new state happen under one lock (§add-checkpoint: "must
 * be performed atomically"), so two concurrent requests cannot roll the witness back.
 */
import { cosignatureV1Signer, cosignatureV1VerifierKey } from '../crypto/cosignature.ts'
import {
  type Ed25519Signer, type Ed25519Verifier, type NoteSigner, encodeBase64, signatureLine
} from '../crypto/signed-note.ts'
import { openCheckpoint } from '../audit/checkpoint-note.ts'
import { EMPTY_ROOT, equalHashes } from '../audit/hasher.ts'
import { verifyConsistency } from '../audit/proof-verify.ts'
import { type LogState, loadState, saveState } from './state.ts'
import { SIZE_CONTENT_TYPE, originHash, parseAddCheckpoint } from './protocol.ts'

export interface WitnessedLog {
  readonly origin: string
  /** The log's checkpoint key (Ed25519, signed-note type 0x01). */
  readonly key: Ed25519Verifier
}

export interface Reply {
  readonly status: number
  readonly contentType: string
  readonly body: string
}

export interface WitnessOptions {
  key: Ed25519Signer
  logs: readonly WitnessedLog[]
  /** Where the state file lives. */
  dataDir: string
  now?: () => number
  /** Told about validly signed checkpoints that were refused: possible evidence of a misbehaving log. */
  onRefused?: (event: { origin: string, oldSize: number, size: number, reason: string }) => void
}

const TEXT = 'text/plain; charset=utf-8'

export class Witness {
  readonly #signer: NoteSigner
  readonly #logs: ReadonlyMap<string, WitnessedLog>
  readonly #byHash: ReadonlyMap<string, string>
  readonly #state: Map<string, LogState>
  readonly #dataDir: string
  readonly #onRefused: NonNullable<WitnessOptions['onRefused']>
  readonly #now: () => number
  /** The tail of the queue of add-checkpoint requests: one at a time, check and persist together. */
  #queue: Promise<unknown> = Promise.resolve()
  /** The witness's verifier key (cosignature/v1, type 0x04), for logs and auditors to configure. */
  readonly verifierKey: string

  constructor (opts: WitnessOptions) {
    this.#now = opts.now ?? Date.now
    this.#signer = cosignatureV1Signer(opts.key, this.#now)
    this.verifierKey = cosignatureV1VerifierKey(opts.key)
    this.#logs = new Map(opts.logs.map((l) => [l.origin, l]))
    this.#byHash = new Map(opts.logs.map((l) => [originHash(l.origin), l.origin]))
    this.#dataDir = opts.dataDir
    this.#state = loadState(opts.dataDir)
    this.#onRefused = opts.onRefused ?? (() => {})
  }

  /** POST /add-checkpoint. */
  async addCheckpoint (body: string): Promise<Reply> {
    const run = this.#queue.then(() => this.#add(body))
    this.#queue = run.catch(() => {})
    return await run
  }

  /**
   * GET /<origin hash>/checkpoint (§Monitor Retrieval Mechanism): the latest checkpoint cosigned
   * for that log, with the log's signature and this witness's cosignature; 404 if none.
   */
  latestCheckpoint (hash: string): Reply {
    const origin = this.#byHash.get(hash)
    const state = origin === undefined ? undefined : this.#state.get(origin)
    if (state === undefined) return text(404, 'this witness has cosigned no checkpoint of that log\n')
    return { status: 200, contentType: TEXT, body: state.note }
  }

  /** The size last cosigned for each origin (0 for none), for the start-up message. */
  sizes (): Array<{ origin: string, size: number }> {
    return [...this.#logs.keys()].map((origin) => ({ origin, size: this.#state.get(origin)?.size ?? 0 }))
  }

  async #add (body: string): Promise<Reply> {
    const request = parseAddCheckpoint(body)
    if (typeof request === 'string') return text(400, request + '\n')
    const newline = request.note.indexOf('\n')
    if (newline < 0) return text(400, 'the checkpoint is malformed: no origin line\n')
    const origin = request.note.slice(0, newline)
    const log = this.#logs.get(origin)
    if (log === undefined) return text(404, 'this witness does not witness that log (unknown origin)\n')
    const opened = openCheckpoint(request.note, log.key, { origin })
    if (!opened.ok) {
      return opened.code === 'MALFORMED'
        ? text(400, `the checkpoint is malformed: ${opened.message}\n`)
        : text(403, `the checkpoint is not signed by the log's key: ${opened.message}\n`)
    }
    const { size, root } = opened.checkpoint
    const { oldSize, proof } = request
    if (oldSize > size) return text(400, `old size ${oldSize} is larger than the checkpoint's size ${size}\n`)
    const refuse = (reason: string): Reply => {
      this.#onRefused({ origin, oldSize, size, reason })
      return text(422, reason + '\n')
    }
    const known = this.#state.get(origin)
    const knownSize = known?.size ?? 0
    if (oldSize !== knownSize) return { status: 409, contentType: SIZE_CONTENT_TYPE, body: `${knownSize}\n` }
    if (size === 0 && !equalHashes(root, EMPTY_ROOT)) {
      return refuse('a checkpoint of size 0 must have the empty tree\'s root')
    }
    if (oldSize === 0) {
      if (proof.length > 0) return refuse('the consistency proof from size 0 must be empty')
    } else {
      const knownRoot = Buffer.from(known!.root, 'base64')
      if (oldSize === size) {
        if (proof.length > 0 || !equalHashes(root, knownRoot)) {
          return refuse(`the checkpoint has the size last cosigned (${size}) but another root: the log was rewritten`)
        }
      } else if (!verifyConsistency(oldSize, size, proof, knownRoot, root)) {
        return refuse(`the consistency proof from size ${oldSize} does not verify: ` +
          'the checkpoint is not an extension of the one last cosigned')
      }
    }

    const signature = this.#signer.sign(Buffer.from(opened.checkpoint.body, 'utf8'))
    const cosignature = signatureLine(this.#signer.name, this.#signer.keyId, signature)
    const logSignatures = opened.checkpoint.signatures.map((s) => s.line + '\n').join('')
    this.#state.set(origin, {
      size,
      root: encodeBase64(root),
      note: `${opened.checkpoint.body}\n${logSignatures}${cosignature}\n`,
      cosignedAt: new Date(this.#now()).toISOString()
    })
    try {
      saveState(this.#dataDir, this.#state)
    } catch (err) {
      // Not durable, so not given: the memory goes back to what the file holds.
      if (known === undefined) this.#state.delete(origin)
      else this.#state.set(origin, known)
      throw err
    }
    return { status: 200, contentType: TEXT, body: cosignature + '\n' }
  }
}

function text (status: number, body: string): Reply {
  return { status, contentType: TEXT, body }
}
