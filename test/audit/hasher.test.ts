import t from 'tap'
import { EMPTY_ROOT, equalHashes, leafHash, nodeHash } from '../../src/audit/hasher.ts'
import { RFC_TREE, ReferenceTree, hex, sha256, unhex } from './reference.ts'

const text = (s: string) => new TextEncoder().encode(s)

// Known answers from transparency-dev/merkle rfc6962/rfc6962_test.go, each with its shell check.
t.test('RFC 6962 / 9162 hasher known answers', async (t) => {
  // echo -n | sha256sum
  t.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'empty root')
  // echo -n 00 | xxd -r -p | sha256sum
  t.equal(
    hex(leafHash(new Uint8Array(0))),
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'empty leaf'
  )
  // echo -n 004C313233343536 | xxd -r -p | sha256sum
  t.equal(
    hex(leafHash(text('L123456'))),
    '395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56',
    'leaf "L123456"'
  )
  // echo -n 014E3132334E343536 | xxd -r -p | sha256sum
  t.equal(
    hex(nodeHash(text('N123'), text('N456'))),
    'aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb',
    'node ("N123", "N456")'
  )
})

t.test('nodeHash is SHA-256(0x01 ‖ left ‖ right)', async (t) => {
  const left = leafHash(text('L123456'))
  const right = leafHash(text('N456'))
  t.equal(hex(nodeHash(left, right)), hex(sha256(Uint8Array.of(1), left, right)))
})

t.test('leaves and nodes are separate domains (second preimage)', async (t) => {
  const h1 = leafHash(text('one'))
  const h2 = leafHash(text('two'))
  const joined = new Uint8Array(64)
  joined.set(h1, 0)
  joined.set(h2, 32)
  t.not(hex(nodeHash(h1, h2)), hex(leafHash(joined)), 'nodeHash(h1, h2) != leafHash(h1 ‖ h2)')
})

t.test('leafHash takes bytes only', async (t) => {
  t.throws(() => leafHash('L123456' as never), TypeError)
})

t.test('the 8-leaf tree of google/certificate-transparency', async (t) => {
  const tree = new ReferenceTree(RFC_TREE.inputs.map(unhex))
  for (let n = 1; n <= 8; n++) {
    t.equal(hex(tree.mth(0, n)), RFC_TREE.roots[n - 1], `reference MTH, size ${n}`)
  }
  // The same roots through src/audit/hasher.ts, by the RFC's recursion.
  const leaves = RFC_TREE.inputs.map((x) => leafHash(unhex(x)))
  const mth = (hashes: Uint8Array[]): Uint8Array => {
    if (hashes.length === 1) return hashes[0] as Uint8Array
    let k = 1
    while (k * 2 < hashes.length) k *= 2
    return nodeHash(mth(hashes.slice(0, k)), mth(hashes.slice(k)))
  }
  for (let n = 1; n <= 8; n++) t.equal(hex(mth(leaves.slice(0, n))), RFC_TREE.roots[n - 1], `size ${n}`)
})

t.test('equalHashes', async (t) => {
  t.ok(equalHashes(unhex('00ff'), unhex('00ff')))
  t.notOk(equalHashes(unhex('00ff'), unhex('00fe')))
  t.notOk(equalHashes(unhex('00ff'), unhex('00ff00')))
})
