/**
 * The service's stored Merkle tree (leaf hashes in audit_entries, perfect nodes in audit_nodes)
 * against test/audit/reference.ts, an RFC 9162 §2.1 reference that hashes with node:crypto
 * straight from the definitions. The log is written the way the service writes it: two writers
 * (each with its own cached frontier, so each often resumes from the stored one) and
 * appends inside a caller's transaction, in small random batches.
 * Positions are drawn from a seeded PRNG; TREE_SEED=<seed> replays a run.
 */
import { prng } from '../../src/demo/population.ts'
import t from 'tap'
import { randomInt } from 'node:crypto'
import type { Database } from '../../src/db/client.ts'
import { testDatabase } from '../helpers/db.ts'
import { AuditWriter, writeEntries } from '../../src/audit/writer.ts'
import type { EntryInput } from '../../src/audit/entry.ts'
import { storedConsistencyProof, storedInclusionProof, storedRoot } from '../../src/audit/tree-store.ts'
import { verifyConsistency, verifyInclusion } from '../../src/audit/proof-verify.ts'
import { ReferenceTree, hex, sha256 } from './reference.ts'

const seed =
  process.env.TREE_SEED !== undefined && process.env.TREE_SEED !== ''
    ? Number(process.env.TREE_SEED) >>> 0
    : randomInt(2 ** 31)
t.comment(`TREE_SEED=${seed} (set TREE_SEED=${seed} to replay this run)`)

const rand = prng(seed)
/** An integer in [lo, hi]. */
const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))

let counter = 0
const input = (): EntryInput => {
  const i = counter++
  return {
    kind: 'answer',
    actor: { sub: 'c' + (i % 3), role: 'caller' },
    caller: 'c' + (i % 3),
    question: 'q' + i,
    answer: i % 2 === 0 ? 'yes' : 'no',
    params: { n: i, s: '是否'.repeat(i % 4) }
  }
}

/** The entry bytes stored from index `from` on, appended to `into`. */
async function readEntries (db: Database, from: number, into: Uint8Array[]): Promise<void> {
  const rows = await db.query<{ index: number, entry: Uint8Array }>(
    'select index, entry from audit_entries where index >= $1 order by index',
    [from]
  )
  for (const r of rows) {
    if (Number(r.index) !== into.length) throw new Error(`row ${r.index} where ${into.length} was expected`)
    into.push(new Uint8Array(r.entry))
  }
}

const same = (a: Uint8Array[], b: Uint8Array[]): boolean =>
  a.length === b.length && a.every((h, i) => hex(h) === hex(b[i]!))

t.test('stored roots and proofs equal the reference for every size up to 300', async (t) => {
  const db = await testDatabase(t)
  const writers = [new AuditWriter(db), new AuditWriter(db)]
  const entries: Uint8Array[] = []
  // The reference keeps the array: pushing entries extends it (its memo stays valid).
  const ref = new ReferenceTree(entries)
  const TARGET = 300
  let appends = 0
  const badAppends: number[] = []
  while (entries.length < TARGET) {
    const n = Math.min(TARGET - entries.length, between(1, 7))
    const how = rand()
    if (how < 0.2) {
      await db.transaction(async (tx) => { await writeEntries(tx, Array.from({ length: n }, input)) })
    } else {
      // Several requests at once, group-committed by one of the two writers.
      const writer = writers[how < 0.6 ? 0 : 1]!
      const parts: EntryInput[][] = []
      for (let left = n; left > 0;) {
        const k = between(1, left)
        parts.push(Array.from({ length: k }, input))
        left -= k
      }
      await Promise.all(parts.map(async (p) => await writer.append(p)))
    }
    const from = entries.length
    await readEntries(db, from, entries)
    // The tree as it stands after this append: leaf hashes and root.
    const leaves = await db.query<{ leaf_hash: Uint8Array }>(
      'select leaf_hash from audit_entries where index >= $1 order by index',
      [from]
    )
    const leavesOk =
      leaves.length === entries.length - from &&
      leaves.every((l, i) => hex(new Uint8Array(l.leaf_hash)) === hex(ref.leafHash(from + i)))
    const rootOk = hex(await storedRoot(db, entries.length)) === hex(ref.mth(0, entries.length))
    if (!leavesOk || !rootOk) badAppends.push(entries.length)
    appends++
  }
  t.equal(entries.length, TARGET, `${TARGET} entries`)
  t.same(
    badAppends,
    [],
    `after each of ${appends} appends, the leaf hashes are SHA-256(0x00 ‖ entry) and the root is the reference MTH`
  )

  const badRoots: number[] = []
  const badInclusions: string[] = []
  let inclusions = 0
  for (let size = 1; size <= TARGET; size++) {
    if (hex(await storedRoot(db, size)) !== hex(ref.mth(0, size))) badRoots.push(size)
    // The first and last leaves, and one drawn at random.
    for (const index of new Set([0, size - 1, between(0, size - 1)])) {
      const proof = await storedInclusionProof(db, index, size)
      if (
        !same(proof, ref.path(index, size)) ||
        !verifyInclusion(index, size, ref.leafHash(index), proof, ref.mth(0, size))
      )
        badInclusions.push(`${index} in ${size}`)
      inclusions++
    }
  }
  t.same(badRoots, [], 'storedRoot equals the reference MTH for every size 1…300')
  t.same(badInclusions, [], `${inclusions} inclusion proofs equal the reference PATH and verify`)

  const pairs: Array<[number, number]> = [
    [1, 1],
    [1, 2],
    [1, TARGET],
    [TARGET, TARGET],
    [2, 3],
    [3, 4],
    [4, 8],
    [7, 8],
    [63, 64],
    [64, 65],
    [127, 128],
    [128, 256],
    [255, 256],
    [256, TARGET],
    [TARGET - 1, TARGET]
  ]
  for (let i = 0; i < 400; i++) {
    const n = between(1, TARGET)
    pairs.push([between(1, n), n])
  }
  const badConsistency: string[] = []
  for (const [m, n] of pairs) {
    const proof = await storedConsistencyProof(db, m, n)
    if (!same(proof, ref.proof(m, n)) || !verifyConsistency(m, n, proof, ref.mth(0, m), ref.mth(0, n))) {
      badConsistency.push(`${m} → ${n}`)
    }
  }
  t.same(badConsistency, [], `${pairs.length} consistency proofs equal the reference PROOF and verify`)

  t.test('invalid requests throw', async (t) => {
    t.equal(hex(await storedRoot(db, 0)), hex(sha256()), 'the root of the empty tree is SHA-256 of nothing')
    const invalid: Array<[string, () => Promise<unknown>]> = [
      ['inclusion: index = size', async () => await storedInclusionProof(db, 5, 5)],
      ['inclusion: index > size', async () => await storedInclusionProof(db, 9, 5)],
      ['inclusion: size 0', async () => await storedInclusionProof(db, 0, 0)],
      ['inclusion: negative index', async () => await storedInclusionProof(db, -1, 5)],
      ['inclusion: fractional index', async () => await storedInclusionProof(db, 1.5, 5)],
      ['inclusion: size beyond the log', async () => await storedInclusionProof(db, 0, TARGET + 1)],
      ['consistency: size1 0', async () => await storedConsistencyProof(db, 0, 5)],
      ['consistency: both 0', async () => await storedConsistencyProof(db, 0, 0)],
      ['consistency: size1 > size2', async () => await storedConsistencyProof(db, 6, 5)],
      ['consistency: size2 beyond the log', async () => await storedConsistencyProof(db, 10, TARGET + 1)],
      ['root: negative size', async () => await storedRoot(db, -1)],
      ['root: fractional size', async () => await storedRoot(db, 2.5)],
      ['root: size beyond the log', async () => await storedRoot(db, TARGET + 1)],
      ['root: far beyond the log', async () => await storedRoot(db, 2 ** 40)]
    ]
    for (const [name, call] of invalid) await t.rejects(call(), name)
  })
})

t.test('a 5,000-entry log appended in batches of 1,000', async (t) => {
  const db = await testDatabase(t)
  const writer = new AuditWriter(db)
  for (let b = 0; b < 5; b++) {
    const indices = await writer.append(Array.from({ length: 1000 }, input))
    t.equal(indices[999]! - indices[0]!, 999, `batch ${b}: 1,000 adjacent indices`)
  }
  t.equal(writer.batches, 5, 'one transaction per batch')
  const entries: Uint8Array[] = []
  await readEntries(db, 0, entries)
  t.equal(entries.length, 5000, '5,000 entries stored')
  const ref = new ReferenceTree(entries)
  for (const size of [5000, 4096, 4097, 1000, 2000, 3000, 4000, between(1, 4999), between(1, 4999)]) {
    t.equal(hex(await storedRoot(db, size)), hex(ref.mth(0, size)), `root at ${size}`)
  }
  for (const [index, size] of [
    [0, 5000],
    [4999, 5000],
    [4096, 5000],
    [between(0, 4999), 5000],
    [between(0, 2999), 3000]
  ] as Array<[number, number]>) {
    const proof = await storedInclusionProof(db, index, size)
    t.ok(same(proof, ref.path(index, size)), `inclusion of ${index} in ${size} equals the reference`)
    t.ok(verifyInclusion(index, size, ref.leafHash(index), proof, ref.mth(0, size)), 'and verifies')
  }
  for (const [m, n] of [
    [1, 5000],
    [1000, 5000],
    [4096, 5000],
    [4999, 5000],
    [between(1, 4999), 5000],
    [between(1, 2500), between(2500, 5000)]
  ] as Array<[number, number]>) {
    const proof = await storedConsistencyProof(db, m, n)
    t.ok(same(proof, ref.proof(m, n)), `consistency ${m} → ${n} equals the reference`)
    t.ok(verifyConsistency(m, n, proof, ref.mth(0, m), ref.mth(0, n)), 'and verifies')
  }
})
