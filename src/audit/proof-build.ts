/**
 * Building proofs from stored perfect nodes: inclusion proofs (RFC 9162 §2.1.3.1), consistency
 * proofs (§2.1.4.1) and the root of any earlier tree size (MTH, §2.1.1). tree.ts says which nodes;
 * this file fetches them through `getNode` and hashes the ephemeral node where there is one.
 *
 * Storage keeps the hash of every perfect node (level, index), written once when it becomes
 * complete (CompactRange.append returns them). Each function here reads O(log size) of them. To
 * read them in one query, ask `nodesFor…` for the ids, fetch them into a Map keyed by `nodeKey`,
 * and pass `nodeGetter(map)`:
 *
 *   const ids = nodesForInclusionProof(index, size)
 *   const map = await fetchNodes(db, ids)          // Map<nodeKey(level, index), hash>
 *   const proof = inclusionProof(index, size, nodeGetter(map))
 */
import { HASH_SIZE, EMPTY_ROOT, nodeHash } from './hasher.ts'
import {
  type NodeId, type ProofNodes, consistencyProofNodes, inclusionProofNodes, rangeNodes
} from './tree.ts'

/** Reads the stored hash of perfect node (level, index); throws if it is missing. */
export type GetNode = (level: number, index: number) => Uint8Array

/**
 * The inclusion proof of leaf `index` in the tree of the given size, from the leaves up.
 * Requires 0 <= index < size <= the stored tree's size.
 */
export function inclusionProof (index: number, size: number, getNode: GetNode): Uint8Array[] {
  return build(inclusionProofNodes(index, size), getNode)
}

/**
 * The consistency proof between the trees of sizes size1 and size2 (empty when they are equal).
 * Requires 0 < size1 <= size2 <= the stored tree's size.
 */
export function consistencyProof (size1: number, size2: number, getNode: GetNode): Uint8Array[] {
  return build(consistencyProofNodes(size1, size2), getNode)
}

/**
 * MTH of the first `size` leaves: the frontier of that size folded from the right.
 * Requires 0 <= size <= the stored tree's size.
 */
export function rootAt (size: number, getNode: GetNode): Uint8Array {
  const hashes = rangeNodes(0, size).map((id) => readNode(getNode, id))
  let root = hashes[hashes.length - 1] ?? EMPTY_ROOT
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root)
  return root
}

/** The nodes `inclusionProof(index, size, …)` reads. */
export function nodesForInclusionProof (index: number, size: number): readonly NodeId[] {
  return inclusionProofNodes(index, size).ids
}

/** The nodes `consistencyProof(size1, size2, …)` reads. */
export function nodesForConsistencyProof (size1: number, size2: number): readonly NodeId[] {
  return consistencyProofNodes(size1, size2).ids
}

/** The nodes `rootAt(size, …)` reads. */
export function nodesForRoot (size: number): readonly NodeId[] {
  return rangeNodes(0, size)
}

/** The key of node (level, index) in the Map given to `nodeGetter`. */
export function nodeKey (level: number, index: number): string {
  return level + '/' + index
}

/** A GetNode over hashes fetched in one batch, keyed by `nodeKey`. */
export function nodeGetter (nodes: ReadonlyMap<string, Uint8Array>): GetNode {
  return (level, index) => {
    const hash = nodes.get(nodeKey(level, index))
    if (hash === undefined) throw new Error(`audit node ${nodeKey(level, index)} was not fetched`)
    return hash
  }
}

/**
 * The proof from the hashes of `nodes.ids`, in the same order: the run ids[begin:end], if any,
 * becomes the hash of the one ephemeral node (lower levels first, each next node on the left).
 */
export function rehash (nodes: ProofNodes, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length !== nodes.ids.length) {
    throw new RangeError(`got ${hashes.length} hashes for ${nodes.ids.length} nodes`)
  }
  if (nodes.ephemeral === null) return hashes.slice()
  const { begin, end } = nodes.ephemeral
  let ephemeral = hashes[begin] as Uint8Array
  for (let i = begin + 1; i < end; i++) ephemeral = nodeHash(hashes[i] as Uint8Array, ephemeral)
  return [...hashes.slice(0, begin), ephemeral, ...hashes.slice(end)]
}

function build (nodes: ProofNodes, getNode: GetNode): Uint8Array[] {
  return rehash(nodes, nodes.ids.map((id) => readNode(getNode, id)))
}

function readNode (getNode: GetNode, id: NodeId): Uint8Array {
  const hash = getNode(id.level, id.index)
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new Error(`audit node ${nodeKey(id.level, id.index)} is not a ${HASH_SIZE}-byte hash`)
  }
  return hash
}
