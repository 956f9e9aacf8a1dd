import t from 'tap'
import { CompactRange, type StoredNode } from '../../src/audit/compact-range.ts'
import { EMPTY_ROOT } from '../../src/audit/hasher.ts'
import { nodeGetter, nodeKey } from '../../src/audit/proof-build.ts'
import { coverage } from '../../src/audit/tree.ts'
import { RFC_TREE, ReferenceTree, hex, numberedEntries, unhex } from './reference.ts'

const N = 300
const tree = new ReferenceTree(numberedEntries(N))

t.test('the root agrees with the reference MTH for sizes 0..300', async (t) => {
  const range = new CompactRange()
  const wrong: number[] = []
  if (hex(range.root()) !== hex(EMPTY_ROOT)) wrong.push(0)
  for (let i = 0; i < N; i++) {
    range.append(tree.leafHash(i))
    if (range.size !== i + 1 || hex(range.root()) !== hex(tree.mth(0, i + 1))) wrong.push(i + 1)
  }
  t.same(wrong, [], 'sizes whose root differs')
})

t.test('the 8-leaf reference tree', async (t) => {
  const rfc = new ReferenceTree(RFC_TREE.inputs.map(unhex))
  const range = new CompactRange()
  for (let i = 0; i < 8; i++) {
    range.append(rfc.leafHash(i))
    t.equal(hex(range.root()), RFC_TREE.roots[i], `size ${i + 1}`)
  }
})

t.test('append returns every perfect node exactly once, with its MTH', async (t) => {
  const range = new CompactRange()
  const stored = new Map<string, StoredNode>()
  const problems: string[] = []
  for (let i = 0; i < N; i++) {
    const completed = range.append(tree.leafHash(i))
    if (completed[0]?.level !== 0 || completed[0].index !== i) problems.push(`leaf ${i} is not first`)
    for (const node of completed) {
      const key = nodeKey(node.level, node.index)
      if (stored.has(key)) problems.push(`${key} twice`)
      stored.set(key, node)
      const [begin, end] = coverage(node)
      if (end !== i + 1) problems.push(`${key} completed at size ${i + 1}`)
      if (hex(node.hash) !== hex(tree.mth(begin, end))) problems.push(`${key} hash`)
    }
  }
  t.same(problems, [])
  // A tree of size n has 2n - popcount(n) perfect nodes (n leaves, n - popcount(n) above them).
  t.equal(stored.size, 2 * N - 4, 'perfect nodes of a 300-leaf tree (300 = 0b100101100)')
})

t.test('resumes from its frontier or from storage', async (t) => {
  const full = new CompactRange()
  const store = new Map<string, Uint8Array>()
  const roots: string[] = [hex(full.root())]
  for (let i = 0; i < 100; i++) {
    for (const node of full.append(tree.leafHash(i))) store.set(nodeKey(node.level, node.index), node.hash)
    roots.push(hex(full.root()))
  }
  const mismatches: string[] = []
  const reference = new CompactRange()
  for (let size = 0; size <= 70; size++) {
    const frontier = reference.frontier()
    const resumed = [
      CompactRange.fromFrontier(size, frontier.map((n) => n.hash)),
      CompactRange.fromStore(size, nodeGetter(store))
    ]
    for (const [k, range] of resumed.entries()) {
      if (hex(range.root()) !== roots[size]) mismatches.push(`${k}: root at ${size}`)
      for (let i = size; i < 100; i++) range.append(tree.leafHash(i))
      if (hex(range.root()) !== roots[100]) mismatches.push(`${k}: root at 100 from ${size}`)
    }
    reference.append(tree.leafHash(size))
  }
  t.same(mismatches, [])
})

t.test('frontier lists the nodes of rangeNodes(0, size)', async (t) => {
  const range = new CompactRange()
  for (let i = 0; i < 7; i++) range.append(tree.leafHash(i))
  const frontier = range.frontier()
  t.same(frontier.map((n) => [n.level, n.index]), [[2, 0], [1, 2], [0, 6]])
  t.same(frontier.map((n) => hex(n.hash)), [hex(tree.mth(0, 4)), hex(tree.mth(4, 6)), hex(tree.mth(6, 7))])
})

t.test('checks its input', async (t) => {
  const range = new CompactRange()
  t.throws(() => range.append(new Uint8Array(31)), RangeError)
  t.throws(() => range.append('x'.repeat(32) as never), RangeError)
  t.equal(range.size, 0, 'nothing appended')
  t.throws(() => CompactRange.fromFrontier(3, [tree.leafHash(0)]), RangeError, 'size 3 needs 2 hashes')
  t.throws(() => CompactRange.fromFrontier(-1, []), RangeError)
  t.throws(() => CompactRange.fromFrontier(1.5, []), RangeError)
  t.throws(() => CompactRange.fromFrontier(1, [new Uint8Array(3)]), RangeError)
  t.throws(() => CompactRange.fromStore(5, nodeGetter(new Map())), /was not fetched/)
  const full = CompactRange.fromFrontier(Number.MAX_SAFE_INTEGER, Array.from({ length: 53 }, () => tree.leafHash(0)))
  t.throws(() => full.append(tree.leafHash(0)), /full/)
})
