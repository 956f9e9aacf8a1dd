/**
 * Micro-benchmarks of the audit log's Merkle code (src/audit), fixed parameters:
 *
 *   node --import tsx bench/merkle-micro.ts
 *
 * - leafHash over 300-byte entries (the size of a canonical audit entry), @noble/hashes, with
 *   node:crypto's SHA-256 beside it as a baseline measured in the same run;
 * - CompactRange.append of 1,000,000 precomputed leaf hashes (the nodes it returns are dropped);
 * - inclusion proofs built from a Map of the perfect nodes of a 65,536-leaf tree, and verified.
 */
import { createHash } from 'node:crypto'
import { cpus } from 'node:os'
import { CompactRange } from '../src/audit/compact-range.ts'
import { leafHash } from '../src/audit/hasher.ts'
import { inclusionProof, nodeGetter, nodeKey } from '../src/audit/proof-build.ts'
import { verifyInclusion } from '../src/audit/proof-verify.ts'

const ENTRY_SIZE = 300
const LEAF_HASHES = 200_000
const APPENDS = 1_000_000
const PROOF_TREE = 65_536
const PROOFS = 20_000

function rate (name: string, count: number, run: () => void): number {
  const start = process.hrtime.bigint()
  run()
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const perSecond = count / seconds
  console.log(`${name.padEnd(44)} ${Math.round(perSecond).toLocaleString('en').padStart(10)} /s`)
  return perSecond
}

const entries = Array.from({ length: 1000 }, (_, i) => {
  const e = new Uint8Array(ENTRY_SIZE)
  e.fill(i & 0xff)
  return e
})

console.log(`${new Date().toISOString()}  node ${process.version}  ${cpus()[0]?.model ?? '?'} ×${cpus().length}`)

for (let round = 0; round < 2; round++) { // The first round warms up the JIT.
  console.log(round === 0 ? '-- warm-up' : '-- measured')
  const noble = rate(`leafHash, ${ENTRY_SIZE}-byte entries (noble)`, LEAF_HASHES, () => {
    for (let i = 0; i < LEAF_HASHES; i++) leafHash(entries[i % 1000] as Uint8Array)
  })
  const native = rate(`same with node:crypto (baseline)`, LEAF_HASHES, () => {
    const prefix = Uint8Array.of(0)
    for (let i = 0; i < LEAF_HASHES; i++) {
      createHash('sha256').update(prefix).update(entries[i % 1000] as Uint8Array).digest()
    }
  })
  console.log(`${'  noble / node:crypto'.padEnd(44)} ${(noble / native).toFixed(2).padStart(10)}`)

  const leaves = Array.from({ length: 1024 }, (_, i) => leafHash(Uint8Array.of(i & 0xff, i >> 8)))
  rate(`CompactRange.append, ${APPENDS.toLocaleString('en')} leaves`, APPENDS, () => {
    const range = new CompactRange()
    for (let i = 0; i < APPENDS; i++) range.append(leaves[i % 1024] as Uint8Array)
    range.root()
  })
  rate(`leafHash + append, ${APPENDS.toLocaleString('en')} entries`, APPENDS, () => {
    const range = new CompactRange()
    for (let i = 0; i < APPENDS; i++) range.append(leafHash(entries[i % 1000] as Uint8Array))
  })

  const store = new Map<string, Uint8Array>()
  const range = new CompactRange()
  for (let i = 0; i < PROOF_TREE; i++) {
    for (const n of range.append(leaves[i % 1024] as Uint8Array)) store.set(nodeKey(n.level, n.index), n.hash)
  }
  const getNode = nodeGetter(store)
  const root = range.root()
  const proofs: Uint8Array[][] = []
  rate(`inclusionProof, tree of ${PROOF_TREE.toLocaleString('en')}`, PROOFS, () => {
    for (let i = 0; i < PROOFS; i++) proofs.push(inclusionProof((i * 7919) % PROOF_TREE, PROOF_TREE, getNode))
  })
  rate(`verifyInclusion, tree of ${PROOF_TREE.toLocaleString('en')}`, PROOFS, () => {
    for (let i = 0; i < PROOFS; i++) {
      const index = (i * 7919) % PROOF_TREE
      const leaf = leaves[index % 1024] as Uint8Array
      if (!verifyInclusion(index, PROOF_TREE, leaf, proofs[i] as Uint8Array[], root)) throw new Error('bad proof')
    }
  })
}
