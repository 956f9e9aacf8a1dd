/**
 * The log's side of C2SP tlog-witness: POST <url>/add-checkpoint, and GET a witness's latest
 * cosigned checkpoint of a log (§Monitor Retrieval Mechanism). Outcomes are values, never throws:
 * a witness that is down is an ordinary event for the log.
 */
import { type NoteSignature, parseSignatureLines } from '../crypto/signed-note.ts'
import {
  type AddCheckpointRequest, SIZE_CONTENT_TYPE, formatAddCheckpoint, originHash, parseSizeBody
} from './protocol.ts'

export type AddCheckpointOutcome =
  /** 200: the witness's signature lines (to be verified by the caller). */
  | { readonly kind: 'cosigned', readonly signatures: readonly NoteSignature[] }
  /** 409: the witness last cosigned another size; resend with a proof from it. */
  | { readonly kind: 'conflict', readonly size: number }
  /** 4xx: the witness refuses the checkpoint (unknown log, bad signature, inconsistent). */
  | { readonly kind: 'refused', readonly status: number, readonly message: string }
  /** No answer, a 5xx, or an answer that is not the protocol's. */
  | { readonly kind: 'unavailable', readonly message: string }

const MAX_RESPONSE = 64 * 1024

/** `<prefix>/<path>`, for a witness URL given with or without a trailing slash. */
export function witnessUrl (prefix: string, path: string): string {
  return prefix.replace(/\/+$/, '') + '/' + path
}

export async function addCheckpoint (
  prefix: string, request: AddCheckpointRequest, timeoutMs: number
): Promise<AddCheckpointOutcome> {
  let res: Response
  let body: string
  try {
    res = await fetch(witnessUrl(prefix, 'add-checkpoint'), {
      method: 'POST',
      body: formatAddCheckpoint(request),
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      signal: AbortSignal.timeout(timeoutMs)
    })
    body = await res.text()
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError'
    return { kind: 'unavailable', message: timedOut ? `no answer within ${timeoutMs} ms` : (err as Error).message }
  }
  if (body.length > MAX_RESPONSE) return { kind: 'unavailable', message: 'the answer is too large' }
  if (res.status === 200) {
    const signatures = parseSignatureLines(body)
    if (typeof signatures === 'string') {
      return { kind: 'unavailable', message: `the answer is not signature lines: ${signatures}` }
    }
    return { kind: 'cosigned', signatures }
  }
  if (res.status === 409) {
    const size = parseSizeBody(body)
    const type = res.headers.get('content-type') ?? ''
    if (size === null || !type.startsWith(SIZE_CONTENT_TYPE)) {
      return { kind: 'unavailable', message: 'a 409 without a size' }
    }
    return { kind: 'conflict', size }
  }
  if (res.status >= 400 && res.status < 500) return { kind: 'refused', status: res.status, message: firstLine(body) }
  return { kind: 'unavailable', message: `HTTP ${res.status}` }
}

/** The witness's latest cosigned checkpoint of `origin`; null if it has none (404). Throws when it cannot be read. */
export async function fetchCosignedCheckpoint (
  prefix: string, origin: string, timeoutMs: number
): Promise<string | null> {
  const url = witnessUrl(prefix, `${originHash(origin)}/checkpoint`)
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  const body = await res.text()
  if (res.status === 404) return null
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${firstLine(body)}`)
  if (body.length > MAX_RESPONSE) throw new Error('the answer is too large')
  return body
}

function firstLine (text: string): string {
  return text.split('\n')[0]!.slice(0, 200)
}
