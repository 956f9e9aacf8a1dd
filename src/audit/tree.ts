/**
 * Index math of the log's Merkle tree (RFC 9162 §2.1): which stored nodes make up a proof. No
 * hashing and no I/O here; the layout and vocabulary follow transparency-dev/merkle
 * (`docs/data_model.md`, `compact/nodes.go`, `proof/proof.go`).
 *
 * A node is addressed as {level, index}: level 0 holds the leaves, and node (level, index) is the
 * root of the subtree over leaves [index·2^level, (index+1)·2^level).
 *
 *            (2,0)                      (2,0) is perfect once the tree has 4 leaves; in a tree of
 *           /     \                     size 7 the node over [4, 8) is not complete: it is an
 *       (1,0)     (1,1)     (1,2)       ephemeral node, whose hash RFC 9162 defines as
 *       /  \      /  \      /  \        nodeHash((1,2), (0,6)) and which changes as leaves arrive.
 *    (0,0)(0,1)(0,2)(0,3)(0,4)(0,5)(0,6)
 *
 * A perfect node never changes once complete, so storage keeps the hash of every perfect node,
 * written once when it becomes complete (see compact-range.ts). Every proof is then a list of
 * O(log n) perfect nodes, where one run of them may have to be hashed together into the single
 * ephemeral node the proof needs (`ProofNodes.ephemeral`; proof-build.ts does the hashing).
 *
 * Sizes and indices are `number`s: a log never reaches 2^53 entries. Every function requires
 * them to be safe non-negative integers and throws a RangeError otherwise; callers validate
 * network input before calling. JavaScript's bitwise operators work on 32 bits only, so the
 * bit helpers below split a 53-bit value into two 32-bit halves.
 */

/** A node of the tree: the root of the perfect subtree over [index·2^level, (index+1)·2^level). */
export interface NodeId {
  readonly level: number
  readonly index: number
}

/** How to build a proof from stored perfect nodes. */
export interface ProofNodes {
  /** The perfect nodes to fetch, in proof order (from the leaves up). */
  readonly ids: readonly NodeId[]
  /**
   * When not null, ids[begin:end] (two or more nodes, from lower to upper level) are to be
   * replaced by one hash: h = hash(ids[begin]); then h = nodeHash(hash(ids[i]), h) for each
   * following i. The result is the hash of the ephemeral node `id`.
   */
  readonly ephemeral: { readonly begin: number, readonly end: number, readonly id: NodeId } | null
}

const TWO_32 = 2 ** 32

/** The largest tree size (and leaf count) this module accepts. */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER

export function nodeId (level: number, index: number): NodeId {
  checkLevel(level)
  checkInteger('index', index)
  return { level, index }
}

/** Leaves [begin, end) covered by the node. */
export function coverage (id: NodeId): [begin: number, end: number] {
  const width = 2 ** id.level
  return [id.index * width, (id.index + 1) * width]
}

export function parent (id: NodeId): NodeId {
  return { level: id.level + 1, index: Math.floor(id.index / 2) }
}

export function sibling (id: NodeId): NodeId {
  return { level: id.level, index: id.index % 2 === 0 ? id.index + 1 : id.index - 1 }
}

/**
 * The perfect nodes that exactly cover leaves [begin, end), left to right: the compact range of
 * transparency-dev/merkle. Each is the largest node that starts at the current position and does
 * not reach beyond `end`. rangeNodes(0, size) is the frontier of a tree of that size (levels
 * strictly decreasing, one node per set bit of size), and its root is those hashes folded from the
 * right. Requires 0 <= begin <= end.
 */
export function rangeNodes (begin: number, end: number): NodeId[] {
  checkInteger('begin', begin)
  checkInteger('end', end)
  if (begin > end) throw new RangeError(`range [${begin}, ${end}) is reversed`)
  const ids: NodeId[] = []
  for (let pos = begin; pos < end;) {
    const fits = bitLength(end - pos) - 1 // Largest level whose node is not wider than what is left.
    const level = pos === 0 ? fits : Math.min(trailingZeros(pos), fits) // Aligned at pos.
    ids.push({ level, index: pos / 2 ** level })
    pos += 2 ** level
  }
  return ids
}

/**
 * The nodes of the inclusion proof (RFC 9162 §2.1.3.1, PATH(index, D[size])) of leaf `index` in
 * the tree of the given size. Requires 0 <= index < size.
 */
export function inclusionProofNodes (index: number, size: number): ProofNodes {
  checkInteger('index', index)
  checkInteger('size', size)
  if (index >= size) throw new RangeError(`index ${index} is beyond tree size ${size}`)
  return pathNodes({ level: 0, index }, size, false)
}

/**
 * The nodes of the consistency proof (RFC 9162 §2.1.4.1, PROOF(size1, D[size2])) between the
 * trees of sizes size1 and size2. Requires 0 < size1 <= size2: a proof from the empty tree is
 * meaningless, and equal sizes have an empty proof.
 */
export function consistencyProofNodes (size1: number, size2: number): ProofNodes {
  checkInteger('size1', size1)
  checkInteger('size2', size2)
  if (size1 === 0) throw new RangeError('consistency proof from empty tree is meaningless')
  if (size1 > size2) throw new RangeError(`size1 ${size1} is beyond size2 ${size2}`)
  if (size1 === size2) return { ids: [], ephemeral: null }
  // The largest perfect subtree that ends at size1: it is the seed of the proof. The verifier
  // knows its hash already when it is the whole tree of size1 (size1 a power of two).
  const level = trailingZeros(size1)
  const seed = { level, index: (size1 - 2 ** level) / 2 ** level }
  return pathNodes(seed, size2, !isPowerOfTwo(size1))
}

/**
 * The nodes that prove perfect node `seed` is in the tree of the given size, from the leaves up:
 * optionally the seed itself, the siblings of its ancestors up to the `fork` (the highest
 * ancestor that is still perfect), then the ephemeral sibling of the fork as the perfect nodes
 * under it, then the perfect nodes left of the fork. Requires the seed inside [0, size).
 */
function pathNodes (seed: NodeId, size: number, withSeed: boolean): ProofNodes {
  // The paths from the seed and from leaf `size` to the root part at the fork's parent: the
  // highest bit in which the seed's index differs from size at the seed's level.
  const inner = bitLength(xor(seed.index, shiftRight(size, seed.level))) - 1
  const fork = { level: seed.level + inner, index: shiftRight(seed.index, inner) }
  const [forkBegin, forkEnd] = coverage(fork)

  const ids: NodeId[] = withSeed ? [seed] : []
  for (let node = seed; node.level < fork.level; node = parent(node)) ids.push(sibling(node))

  // Everything right of the fork, [forkEnd, size), lies under its ephemeral sibling.
  const right = rangeNodes(forkEnd, size).reverse()
  const begin = ids.length
  ids.push(...right)
  const ephemeral = right.length > 1 ? { begin, end: ids.length, id: sibling(fork) } : null

  ids.push(...rangeNodes(0, forkBegin).reverse())
  return { ids, ephemeral }
}

/** Whether node `id` is perfect (complete) in the tree of the given size. */
export function isPerfectIn (id: NodeId, size: number): boolean {
  return coverage(id)[1] <= size
}

// Bit helpers for integers 0 <= x <= 2^53 - 1. `x >>> 0` is x mod 2^32 (its low 32 bits).

/** Number of bits needed to write x: 0 for 0, 1 for 1, 3 for 5. */
export function bitLength (x: number): number {
  const high = Math.floor(x / TWO_32)
  return high !== 0 ? 64 - Math.clz32(high) : 32 - Math.clz32(x >>> 0)
}

/** Number of trailing zero bits of x; requires x > 0. */
export function trailingZeros (x: number): number {
  const low = x >>> 0
  if (low !== 0) return 31 - Math.clz32(low & -low)
  const high = Math.floor(x / TWO_32)
  return 32 + 31 - Math.clz32(high & -high)
}

/** Number of set bits of x. */
export function onesCount (x: number): number {
  return popcount32(Math.floor(x / TWO_32)) + popcount32(x >>> 0)
}

export function xor (a: number, b: number): number {
  const high = (Math.floor(a / TWO_32) ^ Math.floor(b / TWO_32)) >>> 0
  return high * TWO_32 + ((a ^ b) >>> 0)
}

export function shiftRight (x: number, bits: number): number {
  return Math.floor(x / 2 ** bits)
}

export function isPowerOfTwo (x: number): boolean {
  return x > 0 && onesCount(x) === 1
}

function popcount32 (x: number): number {
  x -= (x >>> 1) & 0x55555555
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24)
}

function checkInteger (name: string, x: number): void {
  if (!Number.isSafeInteger(x) || x < 0) {
    throw new RangeError(`${name} must be an integer in [0, 2^53 - 1], got ${String(x)}`)
  }
}

function checkLevel (level: number): void {
  if (!Number.isInteger(level) || level < 0 || level > 53) {
    throw new RangeError(`level must be an integer in [0, 53], got ${String(level)}`)
  }
}
