/**
 * The Merkle tree as stored: leaf hashes in audit_entries, perfect subtree hashes above them in
 * audit_nodes. Fetches exactly the nodes a root, a proof or a resumed frontier needs, in one query.
 */
import type { Executor } from '../db/client.ts'
import { CompactRange } from './compact-range.ts'
import {
  consistencyProof, inclusionProof, nodeGetter, nodeKey, nodesForConsistencyProof, nodesForInclusionProof, nodesForRoot,
  rootAt
} from './proof-build.ts'
import { rangeNodes, type NodeId } from './tree.ts'

/** Fetches the hashes of the given perfect nodes into a map keyed by nodeKey(level, index). */
export async function fetchNodes (db: Executor, ids: readonly NodeId[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>()
  const leaves = ids.filter((id) => id.level === 0).map((id) => id.index)
  const inner = ids.filter((id) => id.level > 0)
  if (leaves.length > 0) {
    const rows = await db.query<{ index: number, leaf_hash: Uint8Array }>(
      'select index, leaf_hash from audit_entries where index = any($1::bigint[])', [leaves])
    for (const r of rows) out.set(nodeKey(0, Number(r.index)), new Uint8Array(r.leaf_hash))
  }
  if (inner.length > 0) {
    const rows = await db.query<{ level: number, index: number, hash: Uint8Array }>(
      `select n.level, n.index, n.hash from audit_nodes n
         join unnest($1::smallint[], $2::bigint[]) as w(level, index) on n.level = w.level and n.index = w.index`,
      [inner.map((id) => id.level), inner.map((id) => id.index)])
    for (const r of rows) out.set(nodeKey(Number(r.level), Number(r.index)), new Uint8Array(r.hash))
  }
  return out
}

/** The compact range of the stored tree of `size` leaves (O(log size) nodes, one or two queries). */
export async function loadRange (db: Executor, size: number): Promise<CompactRange> {
  const nodes = await fetchNodes(db, rangeNodes(0, size))
  return CompactRange.fromStore(size, nodeGetter(nodes))
}

/** Writes the perfect nodes above the leaves that an append completed. */
export async function storeNodes (
  tx: Executor,
  nodes: ReadonlyArray<{ level: number, index: number, hash: Uint8Array }>
): Promise<void> {
  const inner = nodes.filter((n) => n.level > 0)
  if (inner.length === 0) return
  // Hashes travel as hex text: postgres.js does not serialise arrays of bytea.
  const hex = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex')
  await tx.query(`insert into audit_nodes (level, index, hash)
      select l, i, decode(h, 'hex') from unnest($1::smallint[], $2::bigint[], $3::text[]) as x(l, i, h)`,
  [inner.map((n) => n.level), inner.map((n) => n.index), inner.map((n) => hex(n.hash))])
}

export async function logSize (db: Executor): Promise<number> {
  const [row] = await db.query<{ size: number }>('select coalesce(max(index) + 1, 0) as size from audit_entries')
  return Number(row!.size)
}

export async function storedRoot (db: Executor, size: number): Promise<Uint8Array> {
  return rootAt(size, nodeGetter(await fetchNodes(db, nodesForRoot(size))))
}

export async function storedInclusionProof (db: Executor, index: number, size: number): Promise<Uint8Array[]> {
  return inclusionProof(index, size, nodeGetter(await fetchNodes(db, nodesForInclusionProof(index, size))))
}

export async function storedConsistencyProof (db: Executor, size1: number, size2: number): Promise<Uint8Array[]> {
  return consistencyProof(size1, size2, nodeGetter(await fetchNodes(db, nodesForConsistencyProof(size1, size2))))
}
