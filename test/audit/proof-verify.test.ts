import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import t from 'tap'
import fc from 'fast-check'
import { leafHash } from '../../src/audit/hasher.ts'
import {
  rootFromConsistencyProof, rootFromInclusionProof, verifyConsistency, verifyInclusion
} from '../../src/audit/proof-verify.ts'
import { RFC_TREE, ReferenceTree, numberedEntries, unhex } from './reference.ts'

// The inclusion and consistency vectors of transparency-dev/merkle (testdata/, Apache-2.0; see
// test/fixtures/merkle/README.md): each happy path with the mutations that must fail.
const FIXTURES = new URL('../fixtures/merkle/', import.meta.url).pathname

function jsonFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [])
}

/**
 * A vector file, with its sizes and indices as bigints: Go writes uint64 wraparounds such as
 * 18446744073709551615, which JSON.parse would round, so they are quoted before parsing.
 */
function readVector (file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8').replace(/("(?:leafIdx|treeSize|size1|size2)"\s*:\s*)(\d+)/g, '$1"$2"')
  const raw = JSON.parse(text) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (['leafIdx', 'treeSize', 'size1', 'size2'].includes(key)) out[key] = BigInt(value as string)
    else if (['root', 'leafHash', 'root1', 'root2'].includes(key)) out[key] = b64(value as string)
    else if (key === 'proof') out[key] = ((value ?? []) as string[]).map(b64) // Go writes a nil slice as null.
    else out[key] = value
  }
  return out
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))
const asNumber = (x: bigint) => (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x)

t.test('inclusion vectors', async (t) => {
  const files = jsonFiles(join(FIXTURES, 'inclusion'))
  const failed: string[] = []
  for (const file of files) {
    const v = readVector(file) as {
      leafIdx: bigint
      treeSize: bigint
      root: Uint8Array
      leafHash: Uint8Array
      proof: Uint8Array[]
      wantErr: boolean
    }
    const ok = verifyInclusion(v.leafIdx, v.treeSize, v.leafHash, v.proof, v.root)
    const okNumbers = verifyInclusion(asNumber(v.leafIdx), asNumber(v.treeSize), v.leafHash, v.proof, v.root)
    if (ok === v.wantErr || okNumbers !== ok) failed.push(relative(FIXTURES, file))
  }
  t.equal(files.length, 98, 'all inclusion vectors found')
  t.equal(
    failed.length,
    0,
    `${failed.length} of ${files.length} failed${failed.length > 0 ? ': ' + failed.join(', ') : ''}`
  )
})

t.test('consistency vectors', async (t) => {
  const files = jsonFiles(join(FIXTURES, 'consistency'))
  const failed: string[] = []
  for (const file of files) {
    const v = readVector(file) as {
      size1: bigint
      size2: bigint
      root1: Uint8Array
      root2: Uint8Array
      proof: Uint8Array[]
      wantErr: boolean
    }
    const ok = verifyConsistency(v.size1, v.size2, v.proof, v.root1, v.root2)
    const okNumbers = verifyConsistency(asNumber(v.size1), asNumber(v.size2), v.proof, v.root1, v.root2)
    if (ok === v.wantErr || okNumbers !== ok) failed.push(relative(FIXTURES, file))
  }
  t.equal(files.length, 98, 'all consistency vectors found')
  const which = failed.length > 0 ? ': ' + failed.join(', ') : ''
  t.equal(failed.length, 0, `${failed.length} of ${files.length} failed${which}`)
})

t.test('the failure says what is wrong', async (t) => {
  const root = unhex(RFC_TREE.roots[7])
  const rfc = new ReferenceTree(RFC_TREE.inputs.map(unhex))
  const proof = rfc.path(5, 8)
  const leaf = rfc.leafHash(5)
  const code = (r: { ok: boolean, code?: string }) => (r.ok ? 'ok' : r.code)
  t.equal(code(rootFromInclusionProof(5, 8, leaf, proof)), 'ok')
  t.equal(code(rootFromInclusionProof(8, 8, leaf, proof)), 'INDEX_OUT_OF_RANGE')
  t.equal(code(rootFromInclusionProof(-1, 8, leaf, proof)), 'BAD_INTEGER')
  t.equal(code(rootFromInclusionProof(1.5, 8, leaf, proof)), 'BAD_INTEGER')
  t.equal(code(rootFromInclusionProof(0n, 1n << 64n, leaf, proof)), 'BAD_INTEGER')
  t.equal(code(rootFromInclusionProof(5, 8, leaf.subarray(1), proof)), 'BAD_HASH')
  t.equal(code(rootFromInclusionProof(5, 8, leaf, proof.slice(1))), 'WRONG_PROOF_SIZE')
  t.equal(code(rootFromInclusionProof(5, 8, leaf, [...proof, root])), 'WRONG_PROOF_SIZE')
  t.equal(
    code(rootFromInclusionProof(5, 8, leaf, [proof[0] as Uint8Array, new Uint8Array(3), proof[2] as Uint8Array])),
    'BAD_HASH'
  )

  const cons = rfc.proof(6, 8)
  const root6 = unhex(RFC_TREE.roots[5])
  t.equal(code(rootFromConsistencyProof(6, 8, cons, root6)), 'ok')
  t.equal(code(rootFromConsistencyProof(8, 6, cons, root6)), 'SIZE_ORDER')
  t.equal(code(rootFromConsistencyProof(0, 8, cons, root6)), 'EMPTY_TREE')
  t.equal(code(rootFromConsistencyProof(0, 0, [], root6)), 'EMPTY_TREE')
  t.equal(code(rootFromConsistencyProof(6, 6, cons, root6)), 'NON_EMPTY_PROOF')
  t.equal(code(rootFromConsistencyProof(6, 8, [], root6)), 'EMPTY_PROOF')
  t.equal(code(rootFromConsistencyProof(6, 8, cons, root)), 'ROOT_MISMATCH')
  t.equal(code(rootFromConsistencyProof(6, 8, cons.slice(1), root6)), 'WRONG_PROOF_SIZE')
  t.equal(code(rootFromConsistencyProof(6, 8, cons, root6.subarray(1))), 'BAD_HASH')
})

t.test('accepts number and bigint, up to 2^64 - 1', async (t) => {
  const rfc = new ReferenceTree(RFC_TREE.inputs.map(unhex))
  const root = unhex(RFC_TREE.roots[4])
  t.ok(verifyInclusion(1n, 5n, rfc.leafHash(1), rfc.path(1, 5), root))
  t.ok(verifyInclusion(1, 5n, rfc.leafHash(1), rfc.path(1, 5), root))
  t.ok(verifyConsistency(2n, 5, rfc.proof(2, 5), unhex(RFC_TREE.roots[1]), root))
  // A tree of 2^64 - 1 leaves, all with the same hash: only its size and shape matter here.
  const size = (1n << 64n) - 1n
  const h = leafHash(new Uint8Array(0))
  const proof = Array.from({ length: 63 }, () => h)
  t.equal(rootFromInclusionProof(size - 1n, size, h, proof).ok, true, 'last leaf of the largest tree')
  t.equal(rootFromInclusionProof(size - 1n, size, h, [...proof, h]).ok, false)
})

t.test('generated proofs verify; every mutation of them fails', async (t) => {
  // The probes of transparency-dev/merkle verify_test.go (corruptInclusionProof,
  // corruptConsistencyProof), on every proof of trees up to 40 leaves.
  const tree = new ReferenceTree(numberedEntries(40))
  const other = new Uint8Array(32).fill(0xab)
  const flip = (proof: Uint8Array[], i: number) =>
    proof.map((p, j) => (j === i ? p.map((b, k) => (k === 0 ? b ^ 8 : b)) : p))
  const wrong: string[] = []
  for (let size = 1; size <= 40; size++) {
    const root = tree.mth(0, size)
    for (let index = 0; index < size; index++) {
      const leaf = tree.leafHash(index)
      const proof = tree.path(index, size)
      if (!verifyInclusion(index, size, leaf, proof, root)) wrong.push(`rejected ${index}/${size}`)
      const probes: Array<[string, number, number, Uint8Array, Uint8Array[], Uint8Array]> = [
        ['index - 1', index - 1, size, leaf, proof, root],
        ['index + 1', index + 1, size, leaf, proof, root],
        ['index ^ 2', index ^ 2, size, leaf, proof, root],
        ['size * 2', index, size * 2, leaf, proof, root],
        ['size / 2', index, Math.floor(size / 2), leaf, proof, root],
        ['wrong leaf', index, size, other, proof, root],
        ['random root', index, size, leaf, proof, other],
        ['trailing garbage', index, size, leaf, [...proof, new Uint8Array(0)], root],
        ['trailing root', index, size, leaf, [...proof, root], root],
        ['preceding garbage', index, size, leaf, [new Uint8Array(0), ...proof], root],
        ['preceding root', index, size, leaf, [root, ...proof], root],
        ...proof.map(
          (_, i) =>
            [`flipped proof[${i}]`, index, size, leaf, flip(proof, i), root] as [
              string,
              number,
              number,
              Uint8Array,
              Uint8Array[],
              Uint8Array
            ]
        ),
        ...(proof.length > 0
          ? [
              ['removed component', index, size, leaf, proof.slice(0, -1), root] as [
                string,
                number,
                number,
                Uint8Array,
                Uint8Array[],
                Uint8Array
              ]
            ]
          : [])
      ]
      for (const [desc, i, n, l, p, r] of probes) {
        if (verifyInclusion(i, n, l, p, r)) wrong.push(`${desc} ${index}/${size}`)
      }
    }
    for (let size1 = 1; size1 < size; size1++) {
      const root1 = tree.mth(0, size1)
      const proof = tree.proof(size1, size)
      if (!verifyConsistency(size1, size, proof, root1, root)) wrong.push(`rejected ${size1} → ${size}`)
      const probes: Array<[string, number, number, Uint8Array[], Uint8Array, Uint8Array]> = [
        ['size1 - 1', size1 - 1, size, proof, root1, root],
        ['size1 + 1', size1 + 1, size, proof, root1, root],
        ['size1 ^ 2', size1 ^ 2, size, proof, root1, root],
        ['size2 * 2', size1, size * 2, proof, root1, root],
        ['size2 / 2', size1, Math.floor(size / 2), proof, root1, root],
        ['wrong root1', size1, size, proof, other, root],
        ['wrong root2', size1, size, proof, root1, other],
        ['swapped roots', size1, size, proof, root, root1],
        ['empty proof', size1, size, [], root1, root],
        ['trailing garbage', size1, size, [...proof, new Uint8Array(0)], root1, root],
        ['trailing root1', size1, size, [...proof, root1], root1, root],
        ['preceding root2', size1, size, [root, ...proof], root1, root],
        ['truncated proof', size1, size, proof.slice(0, -1), root1, root],
        ...proof.map(
          (_, i) =>
            [`flipped proof[${i}]`, size1, size, flip(proof, i), root1, root] as [
              string,
              number,
              number,
              Uint8Array[],
              Uint8Array,
              Uint8Array
            ]
        )
      ]
      for (const [desc, s1, s2, p, r1, r2] of probes) {
        if (verifyConsistency(s1, s2, p, r1, r2)) wrong.push(`${desc} ${size1} → ${size}`)
      }
    }
  }
  t.same(wrong, [])
})

t.test('never throws on input from outside', async (t) => {
  const integer = fc.oneof(fc.bigInt({ min: -2n, max: 1n << 65n }), fc.integer(), fc.double(), fc.constant(Number.NaN),
    fc.constant('3' as unknown as number), fc.constant(null as unknown as number))
  const hash = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }),
    fc.constant('x' as unknown as Uint8Array), fc.constant(undefined as unknown as Uint8Array))
  const proof = fc.oneof(fc.array(hash, { maxLength: 70 }), fc.constant(null as unknown as Uint8Array[]),
    fc.constant('proof' as unknown as Uint8Array[]))
  fc.assert(fc.property(integer, integer, hash, proof, hash, (a, b, h, p, r) =>
    typeof verifyInclusion(a, b, h, p, r) === 'boolean' && typeof verifyConsistency(a, b, p, h, r) === 'boolean'),
  { numRuns: 3000 })
  t.pass('3000 random calls')
})
