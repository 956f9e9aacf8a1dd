/**
 * Verifying inclusion proofs (RFC 9162 §2.1.3.2) and consistency proofs (§2.1.4.2), step by step
 * as the RFC writes them, with the edge cases of transparency-dev/merkle `proof/verify.go` and its
 * test vectors (test/fixtures/merkle): a consistency proof from the empty tree fails, also to the
 * empty tree; equal sizes need an empty proof and equal roots (compared before any hash length is
 * checked); every other hash must be 32 bytes.
 *
 * Proofs, hashes and sizes come from outside: nothing here throws. `verify…` answers a boolean,
 * `rootFrom…` the computed root or a `ProofFailure` that says what is wrong.
 *
 * Sizes and indices may be `number` (a safe integer) or `bigint` (0 <= x < 2^64, the uint64 of RFC
 * 9162 and of the published vectors, which contain 18446744073709551615). The arithmetic is done
 * in bigint: it runs once per proof step, so its cost does not matter.
 */
import { HASH_SIZE, equalHashes, nodeHash } from './hasher.ts'

export type ProofFailureCode =
  | 'BAD_INTEGER' // a size or index that is not an integer in [0, 2^64)
  | 'INDEX_OUT_OF_RANGE' // index >= size
  | 'SIZE_ORDER' // size2 < size1
  | 'EMPTY_TREE' // consistency from size1 = 0
  | 'NON_EMPTY_PROOF' // size1 = size2 with a non-empty proof
  | 'EMPTY_PROOF' // size1 < size2 with an empty proof
  | 'BAD_HASH' // a hash that is not 32 bytes
  | 'WRONG_PROOF_SIZE' // too few or too many proof hashes
  | 'ROOT_MISMATCH' // the proof leads to another root (root1, for consistency)

export interface ProofFailure {
  readonly ok: false
  readonly code: ProofFailureCode
  readonly message: string
}

export type RootResult = { readonly ok: true, readonly root: Uint8Array } | ProofFailure

/** A size or an index: a safe integer, or a bigint in [0, 2^64). */
export type TreeInteger = number | bigint

const UINT64_LIMIT = 1n << 64n

/**
 * Whether `proof` proves the leaf with hash `leafHash` is at `index` in the tree of the given size
 * with root hash `root`. Requires 0 <= index < size.
 */
export function verifyInclusion (
  index: TreeInteger, size: TreeInteger, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array
): boolean {
  const result = rootFromInclusionProof(index, size, leafHash, proof)
  return result.ok && isHash(root) && equalHashes(result.root, root)
}

/**
 * The root of the tree of the given size that `proof` leads to from leaf `index` with hash
 * `leafHash` (RFC 9162 §2.1.3.2, steps 1–4). Requires 0 <= index < size.
 */
export function rootFromInclusionProof (
  index: TreeInteger, size: TreeInteger, leafHash: Uint8Array, proof: readonly Uint8Array[]
): RootResult {
  const leafIndex = toUint64(index)
  const treeSize = toUint64(size)
  if (leafIndex === null || treeSize === null) {
    return failure('BAD_INTEGER', 'index and size must be integers in [0, 2^64)')
  }
  if (leafIndex >= treeSize) return failure('INDEX_OUT_OF_RANGE', `index ${leafIndex} is beyond size ${treeSize}`)
  if (!isHash(leafHash)) return failure('BAD_HASH', `leafHash must be ${HASH_SIZE} bytes`)
  if (!Array.isArray(proof)) return failure('WRONG_PROOF_SIZE', 'proof must be an array')

  let fn = leafIndex
  let sn = treeSize - 1n
  let r = leafHash
  for (const p of proof) {
    if (sn === 0n) return failure('WRONG_PROOF_SIZE', 'proof is too long')
    if (!isHash(p)) return failure('BAD_HASH', `proof hashes must be ${HASH_SIZE} bytes`)
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r)
      while (!isOdd(fn) && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      r = nodeHash(r, p)
    }
    fn >>= 1n
    sn >>= 1n
  }
  if (sn !== 0n) return failure('WRONG_PROOF_SIZE', 'proof is too short')
  return { ok: true, root: r }
}

/**
 * Whether `proof` proves that the tree of size size2 with root hash root2 extends the tree of
 * size size1 with root hash root1. Requires 0 < size1 <= size2.
 */
export function verifyConsistency (
  size1: TreeInteger, size2: TreeInteger, proof: readonly Uint8Array[], root1: Uint8Array, root2: Uint8Array
): boolean {
  const result = rootFromConsistencyProof(size1, size2, proof, root1)
  return result.ok && root2 instanceof Uint8Array && equalHashes(result.root, root2)
}

/**
 * The root of the tree of size size2 that `proof` leads to from the tree of size size1 with root
 * hash root1, after checking that it also leads to root1 (RFC 9162 §2.1.4.2). Requires
 * 0 < size1 <= size2; for equal sizes, the root is root1 and the proof must be empty.
 */
export function rootFromConsistencyProof (
  size1: TreeInteger, size2: TreeInteger, proof: readonly Uint8Array[], root1: Uint8Array
): RootResult {
  const first = toUint64(size1)
  const second = toUint64(size2)
  if (first === null || second === null) return failure('BAD_INTEGER', 'sizes must be integers in [0, 2^64)')
  if (!Array.isArray(proof)) return failure('WRONG_PROOF_SIZE', 'proof must be an array')
  if (!(root1 instanceof Uint8Array)) return failure('BAD_HASH', 'root1 must be bytes')
  if (second < first) return failure('SIZE_ORDER', `size2 ${second} < size1 ${first}`)
  if (first === 0n) return failure('EMPTY_TREE', 'consistency proof from empty tree is meaningless')
  if (first === second) {
    if (proof.length > 0) return failure('NON_EMPTY_PROOF', 'size1 = size2, but proof is not empty')
    return { ok: true, root: root1 }
  }
  // 1. An empty proof fails.
  if (proof.length === 0) return failure('EMPTY_PROOF', 'size1 < size2, but proof is empty')
  if (!isHash(root1)) return failure('BAD_HASH', `root1 must be ${HASH_SIZE} bytes`)
  // 2. A tree whose size is a power of two is itself the first node of the proof.
  const path = isPowerOfTwo(first) ? [root1, ...proof] : proof
  // 3–4.
  let fn = first - 1n
  let sn = second - 1n
  while (isOdd(fn)) {
    fn >>= 1n
    sn >>= 1n
  }
  // 5.
  const seed = path[0] as Uint8Array
  if (!isHash(seed)) return failure('BAD_HASH', `proof hashes must be ${HASH_SIZE} bytes`)
  let fr = seed
  let sr = seed
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array
    if (sn === 0n) return failure('WRONG_PROOF_SIZE', 'proof is too long')
    if (!isHash(c)) return failure('BAD_HASH', `proof hashes must be ${HASH_SIZE} bytes`)
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (!isOdd(fn) && fn !== 0n) {
        fn >>= 1n
        sn >>= 1n
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn >>= 1n
    sn >>= 1n
  }
  // 7.
  if (sn !== 0n) return failure('WRONG_PROOF_SIZE', 'proof is too short')
  if (!equalHashes(fr, root1)) return failure('ROOT_MISMATCH', 'proof does not lead to root1')
  return { ok: true, root: sr }
}

/** A size or index as a bigint in [0, 2^64), or null. */
function toUint64 (x: TreeInteger): bigint | null {
  if (typeof x === 'bigint') return x >= 0n && x < UINT64_LIMIT ? x : null
  if (typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) return BigInt(x)
  return null
}

function isHash (h: unknown): h is Uint8Array {
  return h instanceof Uint8Array && h.length === HASH_SIZE
}

function isOdd (x: bigint): boolean {
  return (x & 1n) === 1n
}

function isPowerOfTwo (x: bigint): boolean {
  return x > 0n && (x & (x - 1n)) === 0n
}

function failure (code: ProofFailureCode, message: string): ProofFailure {
  return { ok: false, code, message }
}
