/**
 * The wire format of C2SP tlog-witness (https://c2sp.org/tlog-witness), shared by the witness
 * (src/witness/server.ts) and the log's client (src/witness/client.ts).
 *
 * add-checkpoint request body (§add-checkpoint):
 *
 *   old <size>\n                 the size of the checkpoint the witness last cosigned (0: none)
 *   <base64 hash>\n …            the RFC 6962 §2.1.2 consistency proof from it, at most 63 lines
 *   \n
 *   <checkpoint note>            the new checkpoint, signed by the log
 *
 * The answer is 200 with the witness's cosignature lines, or 409 `text/x.tlog.size` with the size
 * it last cosigned, or 400/403/404/422 (see Witness.addCheckpoint).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { decodeBase64, encodeBase64 } from '../crypto/signed-note.ts'
import { HASH_SIZE } from '../audit/hasher.ts'

export const SIZE_CONTENT_TYPE = 'text/x.tlog.size'
export const MAX_PROOF_LINES = 63
/** Bodies are a few hundred bytes: a checkpoint, 63 hashes and some signatures fit in 16 KiB. */
export const MAX_BODY_BYTES = 16 * 1024

export interface AddCheckpointRequest {
  readonly oldSize: number
  readonly proof: readonly Uint8Array[]
  /** The checkpoint note as sent. */
  readonly note: string
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,15})$/

export function formatAddCheckpoint (request: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0) {
    throw new RangeError('old size must be a non-negative integer')
  }
  if (request.proof.length > MAX_PROOF_LINES) throw new RangeError(`at most ${MAX_PROOF_LINES} proof lines`)
  return `old ${request.oldSize}\n${request.proof.map((h) => encodeBase64(h) + '\n').join('')}\n${request.note}`
}

/** The request in an add-checkpoint body, or why it is malformed (a 400). */
export function parseAddCheckpoint (body: string): AddCheckpointRequest | string {
  const split = body.indexOf('\n\n')
  if (split < 0) return 'no blank line between the old size and proof and the checkpoint'
  const [first, ...hashes] = body.slice(0, split).split('\n') as [string, ...string[]]
  if (!first.startsWith('old ') || !DECIMAL.test(first.slice(4))) {
    return 'the first line must be "old <size>", a decimal without leading zeroes'
  }
  const oldSize = Number(first.slice(4))
  if (!Number.isSafeInteger(oldSize)) return 'old size is too large'
  if (hashes.length > MAX_PROOF_LINES) return `more than ${MAX_PROOF_LINES} consistency proof lines`
  const proof: Uint8Array[] = []
  for (const line of hashes) {
    const hash = decodeBase64(line)
    if (hash === null || hash.length !== HASH_SIZE) return `each proof line must be a ${HASH_SIZE}-byte hash in base64`
    proof.push(hash)
  }
  return { oldSize, proof, note: body.slice(split + 2) }
}

/** The body of a 409: the size the witness last cosigned, or null if it is not one. */
export function parseSizeBody (body: string): number | null {
  if (!body.endsWith('\n') || !DECIMAL.test(body.slice(0, -1))) return null
  const size = Number(body.slice(0, -1))
  return Number.isSafeInteger(size) ? size : null
}

/** `<origin hash>` of the monitoring path `GET /<origin hash>/checkpoint`: lowercase hex SHA-256 of the origin. */
export function originHash (origin: string): string {
  return Buffer.from(sha256(Buffer.from(origin, 'utf8'))).toString('hex')
}
