import t from 'tap'
import fc from 'fast-check'
import {
  type NodeId, type ProofNodes, bitLength, consistencyProofNodes, coverage, inclusionProofNodes,
  isPerfectIn, isPowerOfTwo, nodeId, onesCount, rangeNodes, shiftRight, trailingZeros, xor
} from '../../src/audit/tree.ts'

const MAX = Number.MAX_SAFE_INTEGER
const id = (level: number, index: number): NodeId => ({ level, index })
const plain = (ids: ProofNodes['ids']) => ids.map((n) => [n.level, n.index])

t.test('bit helpers agree with BigInt on 53-bit values', async (t) => {
  const edges = [0, 1, 2, 3, 5, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52, 2 ** 53 - 2, MAX]
  const check = (a: number, b: number) => {
    const A = BigInt(a)
    const B = BigInt(b)
    if (bitLength(a) !== A.toString(2).replace(/^0$/, '').length) return `bitLength(${a})`
    if (onesCount(a) !== A.toString(2).split('1').length - 1) return `onesCount(${a})`
    if (a > 0 && trailingZeros(a) !== A.toString(2).length - A.toString(2).lastIndexOf('1') - 1) {
      return `trailingZeros(${a})`
    }
    if (BigInt(xor(a, b)) !== (A ^ B)) return `xor(${a}, ${b})`
    if (BigInt(shiftRight(a, 7)) !== A >> 7n) return `shiftRight(${a}, 7)`
    if (isPowerOfTwo(a) !== (A > 0n && (A & (A - 1n)) === 0n)) return `isPowerOfTwo(${a})`
    return null
  }
  const failures = []
  for (const a of edges) for (const b of edges) failures.push(check(a, b))
  t.same(failures.filter((f) => f !== null), [], 'edge values')
  fc.assert(fc.property(fc.nat({ max: MAX }), fc.nat({ max: MAX }), (a, b) => check(a, b) === null))
})

t.test('rangeNodes covers [begin, end) with aligned perfect nodes', async (t) => {
  t.same(rangeNodes(0, 0), [])
  t.same(rangeNodes(0, 7), [id(2, 0), id(1, 2), id(0, 6)], 'frontier of size 7: k i j')
  t.same(rangeNodes(3, 13), [id(0, 3), id(2, 1), id(2, 2), id(0, 12)])
  t.same(rangeNodes(0, MAX).length, 53, 'frontier of size 2^53 - 1')
  fc.assert(fc.property(fc.nat({ max: MAX }), fc.nat({ max: MAX }), (x, y) => {
    const [begin, end] = x <= y ? [x, y] : [y, x]
    let pos = begin
    for (const node of rangeNodes(begin, end)) {
      const [from, to] = coverage(node)
      if (from !== pos || to > end) return false
      pos = to
    }
    return pos === end
  }))
  t.throws(() => rangeNodes(5, 4), RangeError)
})

// Node ids from transparency-dev/merkle proof/proof_test.go, for the tree of RFC 6962 §2.1.3:
//
//                hash              <== level 3
//               /    \
//          k              l        <== level 2
//         / \            / \
//      g       h      i      [ ]   <== level 1; [ ] is ephemeral (its hash is l, with j)
//     / \     / \    / \    /
//     a b     c d    e f    j      <== level 0
t.test('inclusionProofNodes', async (t) => {
  const cases: Array<[size: number, index: number, ids: NodeId[], ephemeral?: [number, number]]> = [
    [1, 0, []],
    [2, 0, [id(0, 1)]], // b
    [2, 1, [id(0, 0)]], // a
    [3, 1, [id(0, 0), id(0, 2)]], // a c
    [7, 0, [id(0, 1), id(1, 1), id(0, 6), id(1, 2)], [2, 4]], // b h j i, l = hash(i, j)
    [7, 1, [id(0, 0), id(1, 1), id(0, 6), id(1, 2)], [2, 4]], // a h j i
    [7, 2, [id(0, 3), id(1, 0), id(0, 6), id(1, 2)], [2, 4]], // d g j i
    [7, 3, [id(0, 2), id(1, 0), id(0, 6), id(1, 2)], [2, 4]], // c g j i
    [7, 4, [id(0, 5), id(0, 6), id(2, 0)]], // f j k
    [7, 5, [id(0, 4), id(0, 6), id(2, 0)]], // e j k
    [7, 6, [id(1, 2), id(2, 0)]], // i k
    [4, 2, [id(0, 3), id(1, 0)]], // d g
    [5, 3, [id(0, 2), id(1, 0), id(0, 4)]], // c g e
    [6, 3, [id(0, 2), id(1, 0), id(1, 2)]], // c g i
    [6, 4, [id(0, 5), id(2, 0)]], // f k
    [15, 10, [id(0, 11), id(1, 4), id(0, 14), id(1, 6), id(3, 0)], [2, 4]],
    [31, 24, [id(0, 25), id(1, 13), id(0, 30), id(1, 14), id(3, 2), id(4, 0)], [2, 4]],
    [95, 81, [id(0, 80), id(1, 41), id(2, 21), id(0, 94), id(1, 46), id(2, 22), id(4, 4), id(6, 0)], [3, 6]]
  ]
  for (const [size, index, ids, ephemeral] of cases) {
    const nodes = inclusionProofNodes(index, size)
    t.same(plain(nodes.ids), plain(ids), `index ${index}, size ${size}`)
    t.same(
      nodes.ephemeral && [nodes.ephemeral.begin, nodes.ephemeral.end],
      ephemeral ?? null,
      `rehash, index ${index}, size ${size}`
    )
  }
  t.same(inclusionProofNodes(0, 7).ephemeral?.id, id(2, 1), 'the ephemeral node is l')
})

t.test('consistencyProofNodes', async (t) => {
  const cases: Array<[size1: number, size2: number, ids: NodeId[], ephemeral?: [number, number]]> = [
    [1, 2, [id(0, 1)]], // b
    [1, 4, [id(0, 1), id(1, 1)]], // b h
    [1, 6, [id(0, 1), id(1, 1), id(1, 2)]], // b h i
    [2, 3, [id(0, 2)]], // c
    [2, 8, [id(1, 1), id(2, 1)]], // h l
    [3, 7, [id(0, 2), id(0, 3), id(1, 0), id(0, 6), id(1, 2)], [3, 5]], // c d g j i
    [4, 7, [id(0, 6), id(1, 2)], [0, 2]], // j i
    [5, 7, [id(0, 4), id(0, 5), id(0, 6), id(2, 0)]], // e f j k
    [6, 7, [id(1, 2), id(0, 6), id(2, 0)]], // i j k
    [7, 8, [id(0, 6), id(0, 7), id(1, 2), id(2, 0)]], // j leaf#7 i k
    [1, 1, []], [2, 2, []], [3, 3, []], [4, 4, []], [5, 5, []], [7, 7, []], [8, 8, []],
    [2, 4, [id(1, 1)]], // h
    [3, 5, [id(0, 2), id(0, 3), id(1, 0), id(0, 4)]], // c d g e
    [3, 6, [id(0, 2), id(0, 3), id(1, 0), id(1, 2)]], // c d g i
    [4, 6, [id(1, 2)]], // i
    [1, 7, [id(0, 1), id(1, 1), id(0, 6), id(1, 2)], [2, 4]], // b h j i
    [10, 15, [id(1, 4), id(1, 5), id(0, 14), id(1, 6), id(3, 0)], [2, 4]],
    [24, 31, [id(3, 2), id(0, 30), id(1, 14), id(2, 6), id(4, 0)], [1, 4]],
    [81, 95, [id(0, 80), id(0, 81), id(1, 41), id(2, 21), id(0, 94), id(1, 46), id(2, 22), id(4, 4), id(6, 0)], [4, 7]]
  ]
  for (const [size1, size2, ids, ephemeral] of cases) {
    const nodes = consistencyProofNodes(size1, size2)
    t.same(plain(nodes.ids), plain(ids), `${size1} → ${size2}`)
    t.same(
      nodes.ephemeral && [nodes.ephemeral.begin, nodes.ephemeral.end],
      ephemeral ?? null,
      `rehash, ${size1} → ${size2}`
    )
  }
})

t.test('every proof node is perfect in the tree it proves (storage never needs more)', async (t) => {
  const bad: string[] = []
  for (let size = 1; size <= 130; size++) {
    for (let index = 0; index < size; index++) {
      if (!inclusionProofNodes(index, size).ids.every((n) => isPerfectIn(n, size))) {
        bad.push(`inclusion ${index}/${size}`)
      }
    }
    for (let size1 = 1; size1 <= size; size1++) {
      if (!consistencyProofNodes(size1, size).ids.every((n) => isPerfectIn(n, size))) {
        bad.push(`consistency ${size1}/${size}`)
      }
    }
  }
  t.same(bad, [])
  fc.assert(fc.property(fc.integer({ min: 1, max: MAX }), fc.nat({ max: MAX }), (size, x) => {
    const index = x % size
    const size1 = Math.max(1, x % (size + 1))
    const incl = inclusionProofNodes(index, size)
    const cons = consistencyProofNodes(size1, size)
    return incl.ids.length <= 2 * 53 && incl.ids.every((n) => isPerfectIn(n, size)) &&
      cons.ids.every((n) => isPerfectIn(n, size))
  }))
})

t.test('works up to 2^53 - 1', async (t) => {
  // Proof length after rehashing the ephemeral run into one node.
  const proofLength = (nodes: ProofNodes) =>
    nodes.ids.length - (nodes.ephemeral === null ? 0 : nodes.ephemeral.end - nodes.ephemeral.begin - 1)
  const last = inclusionProofNodes(MAX - 1, MAX)
  t.equal(last.ids.length, 52, 'the last leaf: one node per set bit of 2^53 - 2')
  t.equal(last.ephemeral, null)
  const first = inclusionProofNodes(0, MAX)
  t.equal(first.ids.length, 104, 'leaf 0: 52 siblings, then 52 nodes under the ephemeral sibling of level 52')
  t.same(first.ephemeral?.id, id(52, 1))
  t.equal(proofLength(first), 53)
  const cons = consistencyProofNodes(2 ** 52, MAX)
  t.equal(proofLength(cons), 1, 'from the left half: the right half only')
  t.same(cons.ephemeral, { begin: 0, end: 52, id: id(52, 1) })
})

t.test('out-of-range input throws a RangeError', async (t) => {
  const bad = [-1, 1.5, NaN, Infinity, 2 ** 53, '3' as unknown as number]
  for (const x of bad) {
    t.throws(() => inclusionProofNodes(x, 10), RangeError, `index ${String(x)}`)
    t.throws(() => inclusionProofNodes(0, x), RangeError, `size ${String(x)}`)
    t.throws(() => consistencyProofNodes(x, 10), RangeError, `size1 ${String(x)}`)
    t.throws(() => consistencyProofNodes(1, x), RangeError, `size2 ${String(x)}`)
    t.throws(() => rangeNodes(0, x), RangeError, `end ${String(x)}`)
  }
  t.throws(() => inclusionProofNodes(0, 0), RangeError, 'empty tree')
  t.throws(() => inclusionProofNodes(7, 7), RangeError, 'index = size')
  t.throws(() => consistencyProofNodes(0, 5), { message: /empty tree is meaningless/ })
  t.throws(() => consistencyProofNodes(0, 0), RangeError)
  t.throws(() => consistencyProofNodes(9, 8), RangeError)
  t.throws(() => nodeId(54, 0), RangeError)
  t.throws(() => nodeId(0, -1), RangeError)
  t.same(nodeId(3, 5), id(3, 5))
  t.same(coverage(id(3, 5)), [40, 48])
})
