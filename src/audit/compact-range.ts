/**
 * An append-only compact range [0, size) of the log's Merkle tree (RFC 9162 §2.1.1; the "compact
 * range" of transparency-dev/merkle `compact/range.go`): O(log n) state from which the root of
 * all appended leaves is computed.
 *
 * The state is the frontier, rangeNodes(0, size): one perfect node per set bit of size, left to
 * right, levels strictly decreasing. Appending leaf `size` merges it with the frontier's trailing
 * nodes of equal width, one merge per trailing set bit of the old size, like a binary counter.
 * Each merge completes one perfect node; `append` returns them all (the leaf first) so the caller
 * can store every perfect node exactly once, which is what proof-build.ts reads from.
 */
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hasher.ts'
import type { GetNode } from './proof-build.ts'
import { type NodeId, MAX_SIZE, onesCount, rangeNodes } from './tree.ts'

/** A perfect node with its hash: what storage keeps, written once. */
export interface StoredNode extends NodeId {
  readonly hash: Uint8Array
}

export class CompactRange {
  #size: number
  /** Hashes of rangeNodes(0, size), left to right. */
  readonly #hashes: Uint8Array[]
  #root: Uint8Array | undefined

  /** An empty range; see `fromFrontier` and `fromStore` to resume an existing tree. */
  constructor () {
    this.#size = 0
    this.#hashes = []
  }

  /**
   * Resumes the tree of the given size from the hashes of its frontier, rangeNodes(0, size), left
   * to right (one per set bit of size). Requires 0 <= size <= 2^53 - 1.
   */
  static fromFrontier (size: number, hashes: readonly Uint8Array[]): CompactRange {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad tree size ${String(size)}`)
    if (hashes.length !== onesCount(size)) {
      throw new RangeError(`a tree of size ${size} has ${onesCount(size)} frontier hashes, got ${hashes.length}`)
    }
    for (const h of hashes) checkHash(h)
    const range = new CompactRange()
    range.#size = size
    range.#hashes.push(...hashes)
    return range
  }

  /** Resumes the tree of the given size from stored perfect nodes (O(log size) reads). */
  static fromStore (size: number, getNode: GetNode): CompactRange {
    return CompactRange.fromFrontier(size, rangeNodes(0, size).map((id) => getNode(id.level, id.index)))
  }

  get size (): number {
    return this.#size
  }

  /**
   * Appends the leaf with hash `leafHash` at index `size`. Returns the perfect nodes this completes,
   * from the leaf (level 0) up; the caller stores each of them. Requires a 32-byte hash, which the
   * range keeps by reference (do not modify it).
   */
  append (leafHash: Uint8Array): StoredNode[] {
    checkHash(leafHash)
    if (this.#size === MAX_SIZE) throw new RangeError('tree is full')
    let index = this.#size
    let hash = leafHash
    const completed: StoredNode[] = [{ level: 0, index, hash }]
    // Each trailing set bit of the old size is a frontier node as wide as the new one: merge.
    for (let level = 1; index % 2 === 1; level++) {
      hash = nodeHash(this.#hashes.pop() as Uint8Array, hash)
      index = (index - 1) / 2
      completed.push({ level, index, hash })
    }
    this.#hashes.push(hash)
    this.#size++
    this.#root = undefined
    return completed
  }

  /** MTH of the appended leaves (RFC 9162 §2.1.1); EMPTY_ROOT when there are none. */
  root (): Uint8Array {
    if (this.#root !== undefined) return this.#root
    const hashes = this.#hashes
    let root = hashes[hashes.length - 1] ?? EMPTY_ROOT
    for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root)
    this.#root = root
    return root
  }

  /** The frontier, rangeNodes(0, size), with hashes: what `fromFrontier` takes back. */
  frontier (): StoredNode[] {
    return rangeNodes(0, this.#size).map((id, i) => ({ ...id, hash: this.#hashes[i] as Uint8Array }))
  }
}

function checkHash (hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new RangeError(`expected a ${HASH_SIZE}-byte hash`)
  }
}
