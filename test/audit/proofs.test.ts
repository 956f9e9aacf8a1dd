import t from 'tap'
import fc from 'fast-check'
import { CompactRange } from '../../src/audit/compact-range.ts'
import { EMPTY_ROOT } from '../../src/audit/hasher.ts'
import {
  type GetNode, consistencyProof, inclusionProof, nodeGetter, nodeKey, nodesForConsistencyProof,
  nodesForInclusionProof, nodesForRoot, rehash, rootAt
} from '../../src/audit/proof-build.ts'
import { consistencyProofNodes } from '../../src/audit/tree.ts'
import { verifyConsistency, verifyInclusion } from '../../src/audit/proof-verify.ts'
import { RFC_TREE, ReferenceTree, hex, numberedEntries, unhex } from './reference.ts'

// One log of 65537 entries, its perfect nodes stored as CompactRange.append hands them out. Proofs
// for every smaller size are built from this store, as the service builds proofs for old
// checkpoints; `storeAt(size)` refuses any node not yet complete at that size.
const LARGE = 65537
const tree = new ReferenceTree(numberedEntries(LARGE))
const store = new Map<string, Uint8Array>()
const range = new CompactRange()
for (let i = 0; i < LARGE; i++) {
  for (const node of range.append(tree.leafHash(i))) store.set(nodeKey(node.level, node.index), node.hash)
}
const getNode = nodeGetter(store)
function storeAt (size: number): GetNode {
  return (level, index) => {
    if ((index + 1) * 2 ** level > size) throw new Error(`node ${level}/${index} is not perfect at size ${size}`)
    return getNode(level, index)
  }
}

const hexes = (hashes: readonly Uint8Array[]) => hashes.map(hex)
const seed = Number(process.env.AUDIT_SEED ?? Date.now() % 2 ** 31)
t.comment(`fast-check seed ${seed} (set AUDIT_SEED to replay)`)

function checkInclusion (index: number, size: number): string | null {
  const proof = inclusionProof(index, size, storeAt(size))
  if (hexes(proof).join() !== hexes(tree.path(index, size)).join()) return `PATH(${index}, ${size})`
  if (!verifyInclusion(index, size, tree.leafHash(index), proof, tree.mth(0, size))) return `verify ${index}/${size}`
  return null
}

function checkConsistency (size1: number, size2: number): string | null {
  const proof = consistencyProof(size1, size2, storeAt(size2))
  if (hexes(proof).join() !== hexes(tree.proof(size1, size2)).join()) return `PROOF(${size1}, ${size2})`
  if (!verifyConsistency(size1, size2, proof, tree.mth(0, size1), tree.mth(0, size2))) {
    return `verify ${size1} → ${size2}`
  }
  return null
}

t.test('the proofs of the 8-leaf reference tree (transparency-dev/merkle verify_test.go)', async (t) => {
  const rfc = new ReferenceTree(RFC_TREE.inputs.map(unhex))
  const small = new CompactRange()
  const nodes = new Map<string, Uint8Array>()
  for (let i = 0; i < 8; i++) {
    for (const node of small.append(rfc.leafHash(i))) nodes.set(nodeKey(node.level, node.index), node.hash)
  }
  for (const { index, size, proof } of RFC_TREE.inclusionProofs) {
    t.same(hexes(inclusionProof(index, size, nodeGetter(nodes))), proof, `inclusion ${index}/${size}`)
  }
  for (const { size1, size2, proof } of RFC_TREE.consistencyProofs) {
    t.same(hexes(consistencyProof(size1, size2, nodeGetter(nodes))), proof, `consistency ${size1} → ${size2}`)
  }
})

t.test('inclusion proofs equal PATH and verify, every index of every size 1..300', async (t) => {
  const failed: string[] = []
  let count = 0
  for (let size = 1; size <= 300; size++) {
    for (let index = 0; index < size; index++, count++) {
      const failure = checkInclusion(index, size)
      if (failure !== null) failed.push(failure)
    }
  }
  t.same(failed.slice(0, 10), [], `${failed.length} of ${count} failed`)
})

t.test('consistency proofs equal PROOF and verify, every 1 <= size1 <= size2 <= 64', async (t) => {
  const failed: string[] = []
  let count = 0
  for (let size2 = 1; size2 <= 64; size2++) {
    for (let size1 = 1; size1 <= size2; size1++, count++) {
      const failure = checkConsistency(size1, size2)
      if (failure !== null) failed.push(failure)
    }
  }
  t.same(failed.slice(0, 10), [], `${failed.length} of ${count} failed`)
})

t.test('consistency proofs, sampled pairs up to 300', async (t) => {
  const pair = fc
    .integer({ min: 1, max: 300 })
    .chain((size2) => fc.tuple(fc.integer({ min: 1, max: size2 }), fc.constant(size2)))
  fc.assert(fc.property(pair, ([size1, size2]) => checkConsistency(size1, size2) === null), { seed, numRuns: 3000 })
  t.pass('3000 pairs')
})

t.test('large trees: 1000, 4097 and 65537 leaves, sampled', async (t) => {
  const sizes = fc.constantFrom(1000, 1024, 4096, 4097, 65535, 65536, 65537)
  const indexIn = (size: number) => fc.integer({ min: 0, max: size - 1 })
  fc.assert(fc.property(sizes.chain((size) => fc.tuple(fc.constant(size), indexIn(size))), ([size, index]) =>
    checkInclusion(index, size) === null), { seed, numRuns: 400 })
  fc.assert(
    fc.property(
      sizes.chain((size) => fc.tuple(fc.integer({ min: 1, max: size }), fc.constant(size))),
      ([size1, size2]) => checkConsistency(size1, size2) === null
    ),
    { seed, numRuns: 400 }
  )
  for (const size of [1000, 4097, LARGE]) {
    t.equal(checkInclusion(0, size), null, `first leaf of ${size}`)
    t.equal(checkInclusion(size - 1, size), null, `last leaf of ${size}`)
    t.equal(checkConsistency(size - 1, size), null, `${size - 1} → ${size}`)
    t.equal(checkConsistency(1, size), null, `1 → ${size}`)
  }
})

t.test('rootAt equals MTH of every earlier size', async (t) => {
  const wrong: number[] = []
  for (let size = 0; size <= 300; size++) {
    if (hex(rootAt(size, storeAt(size))) !== hex(tree.mth(0, size))) wrong.push(size)
  }
  t.same(wrong, [])
  t.equal(hex(rootAt(0, getNode)), hex(EMPTY_ROOT))
  t.equal(hex(rootAt(LARGE, getNode)), hex(range.root()), 'the current root')
  fc.assert(fc.property(fc.integer({ min: 301, max: LARGE }), (size) =>
    hex(rootAt(size, storeAt(size))) === hex(tree.mth(0, size))), { seed, numRuns: 200 })
})

t.test('one batch: fetch the listed nodes, then build from the Map', async (t) => {
  const batch = (ids: ReturnType<typeof nodesForRoot>) =>
    nodeGetter(new Map(ids.map((n) => [nodeKey(n.level, n.index), getNode(n.level, n.index)])))
  t.same(hexes(inclusionProof(81, 95, batch(nodesForInclusionProof(81, 95)))), hexes(tree.path(81, 95)))
  t.same(hexes(consistencyProof(81, 95, batch(nodesForConsistencyProof(81, 95)))), hexes(tree.proof(81, 95)))
  t.equal(hex(rootAt(95, batch(nodesForRoot(95)))), hex(tree.mth(0, 95)))
  t.equal(nodesForInclusionProof(81, 95).length, 8, 'O(log n) reads')
  t.throws(() => inclusionProof(81, 95, batch(nodesForRoot(95))), /was not fetched/)
})

t.test('rehash', async (t) => {
  const nodes = consistencyProofNodes(24, 31) // (3,2) | (0,30) (1,14) (2,6) | (4,0)
  const h = [0, 1, 2, 3, 4].map((i) => tree.leafHash(i))
  const proof = rehash(nodes, h)
  t.equal(proof.length, 3)
  t.same(hexes([proof[0] as Uint8Array, proof[2] as Uint8Array]), hexes([h[0] as Uint8Array, h[4] as Uint8Array]))
  t.throws(() => rehash(nodes, h.slice(1)), RangeError)
})

t.test('bad storage is an error, not a wrong proof', async (t) => {
  t.throws(() => inclusionProof(0, 2, () => new Uint8Array(31)), /not a 32-byte hash/)
  t.throws(() => inclusionProof(2, 2, getNode), RangeError)
  t.throws(() => consistencyProof(0, 2, getNode), RangeError)
})
