/**
 * A citizen's access history (issue "access history", design §2 role `subject`): the requests of
 * callers about one subject — answers and refusals — with each entry's canonical bytes and its
 * inclusion proof (RFC 9162 §2.1.3) against a signed checkpoint, so that the citizen can check
 * that every entry shown is in the one log everybody else sees, unaltered.
 *
 * Entries of a confidential client (police, discipline inspection) stay hidden until
 * `at + disclosure delay` has passed, by the database clock that also stamped `at`. Subject
 * searches by auditors are not listed: they are oversight of the callers, logged and reviewed
 * internally (design §8).
 */
import type { Executor } from '../db/client.ts'
import { parseEntry, type Entry } from './entry.ts'
import { leafHash } from './hasher.ts'
import { inclusionProof, nodeGetter, nodeKey, nodesForInclusionProof } from './proof-build.ts'
import { fetchNodes } from './tree-store.ts'
import { openCheckpoint, type CheckpointVerifier } from './checkpoint-note.ts'
import { verifyInclusion } from './proof-verify.ts'
import type { NodeId } from './tree.ts'

export interface AccessEntry { entry: Entry, bytes: Uint8Array }
export interface AccessPage { entries: AccessEntry[], next: string | null }

/**
 * One page of the subject's entries: newest first from below index `cursor` (none: from the
 * newest), or oldest first from index `cursor` on. `next` is the cursor of the following page.
 */
export async function accessEntries (
  db: Executor,
  subject: string,
  limit: number,
  cursor: number | null,
  order: 'newest' | 'oldest' = 'newest'
): Promise<AccessPage> {
  const newest = order === 'newest'
  const rows = await db.query<{ entry: Uint8Array }>(
    `select e.entry from audit_entries e left join clients c on c.id = e.caller
      where e.subject = $1 and ${newest ? 'e.index < $2' : 'e.index >= $2'} and e.kind in ('answer', 'refusal')
        and (c.confidential is not true
             or e.at + make_interval(secs => c.disclosure_delay_seconds) <= clock_timestamp())
      order by e.index ${newest ? 'desc' : ''} limit $3`,
    [subject, cursor ?? (newest ? Number.MAX_SAFE_INTEGER : 0), limit + 1])
  const entries = rows.slice(0, limit).map((r) => {
    const bytes = new Uint8Array(r.entry)
    return { entry: parseEntry(bytes), bytes }
  })
  const last = entries.at(-1)?.entry.index ?? 0
  return { entries, next: rows.length > limit ? String(newest ? last : last + 1) : null }
}

/** Inclusion proofs of the given indices (each below `size`) in the tree of `size` leaves, fetched in one go. */
export async function inclusionProofs (
  db: Executor,
  indices: readonly number[],
  size: number
): Promise<Map<number, Uint8Array[]>> {
  const ids = new Map<string, NodeId>()
  for (const i of indices) for (const id of nodesForInclusionProof(i, size)) ids.set(nodeKey(id.level, id.index), id)
  const getNode = nodeGetter(await fetchNodes(db, [...ids.values()]))
  return new Map(indices.map((i) => [i, inclusionProof(i, size, getNode)]))
}

/** What a client checks, as the response's `verify` text says; returns the problems found (none: all verified). */
export function checkAccessLog (page: {
  subject: string
  entries: ReadonlyArray<{ index: number, leaf: string, proof: readonly string[] | null }>
  checkpoint: { origin: string, size: number, root: string, note: string } | null
}, verifier: CheckpointVerifier): string[] {
  const problems: string[] = []
  const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
  let root: Uint8Array | null = null
  if (page.checkpoint !== null) {
    const opened = openCheckpoint(page.checkpoint.note, verifier, { origin: page.checkpoint.origin })
    if (!opened.ok) {
      problems.push('checkpoint: ' + opened.message)
    } else if (opened.checkpoint.size !== page.checkpoint.size ||
      Buffer.from(opened.checkpoint.root).toString('base64') !== page.checkpoint.root) {
      problems.push('checkpoint: size or root differ from the signed note')
    } else {
      root = opened.checkpoint.root
    }
  }
  for (const e of page.entries) {
    const bytes = b(e.leaf)
    let entry: Entry
    try { entry = parseEntry(bytes) } catch { problems.push(`entry ${e.index}: leaf is not JSON`); continue }
    if (entry.index !== e.index) problems.push(`entry ${e.index}: the leaf holds index ${entry.index}`)
    if (entry.subject !== page.subject) problems.push(`entry ${e.index}: the leaf is about another subject`)
    if (e.proof === null) { problems.push(`entry ${e.index}: no proof yet`); continue }
    if (root === null || page.checkpoint === null ||
      !verifyInclusion(e.index, page.checkpoint.size, leafHash(bytes), e.proof.map(b), root)) {
      problems.push(`entry ${e.index}: inclusion proof does not verify`)
    }
  }
  return problems
}
