/**
 * What a witness vouches for, for `shifou audit verify --witness` (design §14.5): the latest
 * checkpoint of this log that the witness cosigned, which the log in the database must extend.
 * A log truncated or rewritten by someone who also deleted the later checkpoints (and their
 * cosignatures) passes every check the database alone allows; it cannot pass this one, because
 * the witness keeps its latest cosigned checkpoint outside the attacker's reach.
 *
 * A witness is named by
 *   - its URL: its latest cosigned checkpoint is fetched from it (c2sp.org/tlog-witness §Monitor
 *     Retrieval Mechanism). The checkpoint must be signed by the log's key; its cosignature is
 *     checked when the witness's key is known (another --witness VKEY, or SHIFOU_WITNESSES).
 *   - its verifier key: the latest checkpoint it cosigned is looked for in the database's stored
 *     cosignatures and in the note given with --against (the larger wins). This catches only what
 *     the attacker left behind; the URL form asks the witness itself.
 */
import type { Executor } from '../db/client.ts'
import { checkpointBody, openCheckpoint, type CheckpointVerifier } from '../audit/checkpoint-note.ts'
import { cosignaturesBy } from '../audit/cosignature-store.ts'
import { cosignatureV1Verifier, parseCosignatureV1VerifierKey } from '../crypto/cosignature.ts'
import { type Ed25519Verifier, openNote } from '../crypto/signed-note.ts'
import { fetchCosignedCheckpoint } from './client.ts'

export interface WitnessedCheckpoint {
  size: number
  root: Uint8Array
  /** Who vouches for it, for messages: "witness NAME (URL)". */
  by: string
  /** What was checked, for the report. */
  checked: string
}

export type WitnessSpec = { kind: 'url', url: string } | { kind: 'key', key: Ed25519Verifier }

/** A --witness value: an http(s) URL or a cosignature/v1 verifier key; null if neither. */
export function parseWitnessSpec (value: string): WitnessSpec | null {
  if (/^https?:\/\//i.test(value)) {
    try {
      return { kind: 'url', url: new URL(value).toString() }
    } catch {
      return null
    }
  }
  const key = parseCosignatureV1VerifierKey(value)
  return key === null ? null : { kind: 'key', key }
}

export interface EvidenceOptions {
  database: Executor
  origin: string
  logKey: CheckpointVerifier
  specs: readonly WitnessSpec[]
  /** The note given with --against, if any. */
  against?: string
  /** Witnesses known from SHIFOU_WITNESSES: their keys check what their URLs serve. */
  configured?: ReadonlyArray<{ url: string, key: Ed25519Verifier }>
  timeoutMs?: number
}

/** The checkpoint each witness vouches for, or why it cannot be had (the check then fails). */
export async function witnessedCheckpoints (opts: EvidenceOptions): Promise<WitnessedCheckpoint[] | { error: string }> {
  const keys = opts.specs.flatMap((s) => (s.kind === 'key' ? [s.key] : []))
  const out: WitnessedCheckpoint[] = []
  for (const spec of opts.specs) {
    const found = spec.kind === 'url' ? await fromUrl(opts, spec.url, keys) : await fromKey(opts, spec.key)
    if ('error' in found) return found
    out.push(found)
  }
  return out
}

type Found = WitnessedCheckpoint | { error: string }

async function fromUrl (opts: EvidenceOptions, url: string, keys: readonly Ed25519Verifier[]): Promise<Found> {
  const trimmed = (u: string): string => u.replace(/\/+$/, '')
  const configured = (opts.configured ?? []).filter((w) => trimmed(w.url) === trimmed(url)).map((w) => w.key)
  const cosigners = [...configured, ...keys]
  let note: string | null
  try {
    note = await fetchCosignedCheckpoint(url, opts.origin, opts.timeoutMs ?? 10_000)
  } catch (err) {
    return { error: `cannot read the witness at ${url}: ${(err as Error).message}` }
  }
  if (note === null) {
    return { error: `the witness at ${url} has cosigned no checkpoint of ${opts.origin}: nothing to check against` }
  }
  const expect = { origin: opts.origin, cosigners: cosigners.map(cosignatureV1Verifier) }
  const opened = openCheckpoint(note, opts.logKey, expect)
  if (!opened.ok) return { error: `the checkpoint the witness at ${url} serves does not verify: ${opened.message}` }
  const by = opened.checkpoint.cosignatures[0]?.name
  if (cosigners.length > 0 && by === undefined) {
    return { error: `the checkpoint the witness at ${url} serves has no cosignature by the witness key given` }
  }
  return {
    size: opened.checkpoint.size,
    root: opened.checkpoint.root,
    by: `witness ${by ?? url}${by === undefined ? '' : ` (${url})`}`,
    checked: by === undefined
      ? 'signed by the log; its cosignature not checked (no key given for this witness)'
      : 'signed by the log and cosigned by the witness'
  }
}

async function fromKey (opts: EvidenceOptions, key: Ed25519Verifier): Promise<Found> {
  const verifier = cosignatureV1Verifier(key)
  const candidates: WitnessedCheckpoint[] = []
  if (opts.against !== undefined) {
    const opened = openCheckpoint(opts.against, opts.logKey, { origin: opts.origin, cosigners: [verifier] })
    if (opened.ok && opened.checkpoint.cosignatures.length > 0) {
      const { size, root } = opened.checkpoint
      candidates.push({ size, root, by: `witness ${key.name}`, checked: 'from --against, cosigned by the witness' })
    }
  }
  const [stored] = await cosignaturesBy(opts.database, key.name, Buffer.from(verifier.keyId).toString('hex'))
  if (stored !== undefined) {
    const body = checkpointBody({ origin: opts.origin, size: stored.size, root: stored.root })
    if (!openNote(`${body}\n${stored.signature}\n`, [verifier]).ok) {
      return {
        error: `the stored cosignature of size ${stored.size} by witness ${key.name} does not verify: ` +
          'audit_cosignatures was altered'
      }
    }
    const { size, root } = stored
    candidates.push({ size, root, by: `witness ${key.name}`, checked: 'from the database, cosigned by the witness' })
  }
  if (candidates.length === 0) {
    return {
      error: `no checkpoint cosigned by witness ${key.name} was found in the database or in --against: ` +
        'nothing to check against (give the witness\'s URL to ask it)'
    }
  }
  return candidates.reduce((a, b) => (b.size > a.size ? b : a))
}
