/**
 * `shifou audit verify`: recomputes the whole audit log from the database and checks it against
 * what was signed. Every entry's canonical bytes, index, leaf hash and the columns copied out of it;
 * every stored perfect node; every stored checkpoint's signature and root; and, optionally, a
 * checkpoint kept elsewhere. Reports the first bad index and what is wrong with it.
 *
 * What each check catches (security-research §4.6): an edited entry (bytes, leaf hash or a
 * column), a deleted row (a gap), an inserted or swapped row (an entry whose bytes name another
 * index), a truncated tail (a checkpoint beyond the end), a rewrite with recomputed hashes but no
 * signing key (a signed root that no longer matches — located between the last good checkpoint
 * and the first bad one), and, with `against`, a rewrite by someone who also holds the key.
 */
import { availableParallelism } from 'node:os'
import type { Executor } from '../db/client.ts'
import { equalHashes } from './hasher.ts'
import type { EntryRow, PageProblem, Problem } from './entry-check.ts'
import { CHECK_HERE, EntryCheckWorker, orHere, type EntryChecker } from './entry-checker.ts'
import { CompactRange, type StoredNode } from './compact-range.ts'
import { openCheckpoint, type CheckpointVerifier } from './checkpoint-note.ts'
import { allCheckpoints } from './checkpoint-store.ts'
import { fetchNodes } from './tree-store.ts'
import { nodeKey } from './proof-build.ts'

export type { Problem } from './entry-check.ts'

export interface VerifyReport {
  ok: boolean
  size: number
  checkpoints: number
  problem: Problem | null
}

export interface VerifyOptions {
  /** The checkpoint key's verifier (its public key and name). */
  verifier: CheckpointVerifier
  origin?: string
  /** A checkpoint note kept outside this database. */
  against?: string
  /**
   * Checkpoints that witnesses cosigned (their cosignatures already checked by the caller): the log
   * must extend each, i.e. hold at least `size` entries whose tree has `root`.
   */
  witnessed?: ReadonlyArray<{ size: number, root: Uint8Array, by: string }>
  batch?: number
  /**
   * Where each entry's own checks run (entry-checker.ts). By default: on this thread for the first
   * page; on a worker thread for the pages after a full one, on a machine of two cores or more;
   * back on this thread for any page that worker fails to answer.
   */
  checker?: EntryChecker
  onProgress?: (checked: number) => void
}

/** Up to `limit` rows of the log from index `from` on, in order, as the verification reads them. */
export async function readEntryRows (db: Executor, from: number, limit: number): Promise<EntryRow[]> {
  return await db.query<EntryRow>(
    `select index, at, kind, actor_sub, actor_role, caller,
        question, purpose, case_id, answer, code, subject, verification, snapshot, entry, leaf_hash
      from audit_entries where index >= $1 order by index limit $2`, [from, limit])
}

interface PageRead { rows: EntryRow[], checked: Promise<PageProblem | null> }

export async function verifyLog (db: Executor, opts: VerifyOptions): Promise<VerifyReport> {
  const batch = opts.batch ?? 10000
  const checkpoints = await allCheckpoints(db)
  const fail = (problem: Problem, size: number): VerifyReport => {
    return { ok: false, size, checkpoints: checkpoints.length, problem }
  }

  // Every stored checkpoint must be signed by the checkpoint key and say what its row says.
  let vouched = 0
  const roots = new Map<number, Uint8Array>()
  for (const cp of checkpoints) {
    const opened = openCheckpoint(cp.note, opts.verifier, opts.origin === undefined ? {} : { origin: opts.origin })
    if (!opened.ok || opened.checkpoint.size !== cp.size || !equalHashes(opened.checkpoint.root, cp.root)) {
      const why = opened.ok ? 'its row differs from its note' : opened.message
      return fail({
        index: vouched,
        through: cp.size - 1,
        reason: `the checkpoint at size ${cp.size} is not a valid signed checkpoint of this log (${why})`
      }, -1)
    }
    roots.set(cp.size, cp.root)
    vouched = cp.size
  }
  // Checkpoints kept outside the database: a copy kept by hand (--against) and witnesses' latest.
  const external: Array<{ size: number, root: Uint8Array, rewritten: string, truncated: (size: number) => string }> = []
  if (opts.against !== undefined) {
    const opened = openCheckpoint(opts.against, opts.verifier, opts.origin === undefined ? {} : { origin: opts.origin })
    if (!opened.ok) {
      return fail({ index: 0, reason: `the checkpoint given with --against does not verify: ${opened.message}` }, -1)
    }
    const { size, root } = opened.checkpoint
    external.push({
      size,
      root,
      rewritten: `the log does not match the checkpoint given with --against (size ${size}): it was rewritten`,
      truncated: (n) =>
        `the log has ${n} entries but the checkpoint given with --against has ${size}: the tail was removed`
    })
  }
  for (const w of opts.witnessed ?? []) {
    external.push({
      size: w.size,
      root: w.root,
      rewritten: `the log does not match the checkpoint of size ${w.size} that ${w.by} cosigned: it was rewritten`,
      truncated: (n) => `the log has ${n} entries but ${w.by} cosigned a checkpoint of size ${w.size}: ` +
        `entries ${n}…${w.size - 1} were removed (the log was truncated)`
    })
  }

  const range = new CompactRange()
  let lastGood = 0
  let expected = 0
  const page = async (from: number): Promise<EntryRow[]> => await readEntryRows(db, from, batch)
  // The stored perfect nodes serve proofs: they must be the ones the entries make. Those a page
  // completes are read and compared while the next page is checked (a round trip of its own that
  // took a fifth of the time when awaited); a problem with them is still reported before any
  // problem of the next page, as when they were checked in turn.
  const checkNodes = async (completed: readonly StoredNode[], size: number): Promise<VerifyReport | null> => {
    const stored = await fetchNodes(db, completed)
    for (const n of completed) {
      const s = stored.get(nodeKey(n.level, n.index))
      if (s === undefined || !equalHashes(s, n.hash)) {
        const first = n.index * 2 ** n.level
        return fail({
          index: first,
          through: first + 2 ** n.level - 1,
          reason: `the stored tree node at level ${n.level}, index ${n.index} does not match the entries it covers`
        }, size)
      }
    }
    return null
  }
  let nodesChecked: Promise<VerifyReport | null> = Promise.resolve(null)
  const failAfterNodes = async (problem: Problem, size: number): Promise<VerifyReport> =>
    (await nodesChecked) ?? fail(problem, size)
  // Each entry's own checks (entry-check.ts) run on a worker thread once the log has more than a
  // page, while this thread reads the next page and folds the entries into the tree; a page is
  // handed to the checks as soon as it is read, and the next page is read while this one is
  // folded. The problems are still reported in the order of the entries.
  let worker: EntryChecker | null = null
  const checkerFor = (afterFullPage: boolean): EntryChecker => {
    if (opts.checker !== undefined) return opts.checker
    if (!afterFullPage || availableParallelism() < 2) return CHECK_HERE
    return (worker ??= orHere(new EntryCheckWorker()))
  }
  const read = async (from: number, first: number, checker: EntryChecker): Promise<PageRead> => {
    const rows = await page(from)
    const checked = rows.length === 0 ? Promise.resolve(null) : checker.check(rows, first)
    checked.catch(() => {})
    return { rows, checked }
  }
  let next = read(0, 0, checkerFor(false))
  try {
    for (;;) {
      const { rows, checked } = await next
      if (rows.length === 0) break
      const from = Number(rows[rows.length - 1]!.index) + 1
      next = read(from, expected + rows.length, checkerFor(rows.length === batch))
      next.catch(() => {})
      const found = await checked
      const completed: StoredNode[] = []
      for (let position = 0; position < rows.length; position++) {
        const row = rows[position]!
        const index = Number(row.index)
        if (index !== expected) {
          const reason = `entry ${expected} is missing (the next row is ${index})`
          return await failAfterNodes({ index: expected, reason }, expected)
        }
        if (found?.position === position) return await failAfterNodes(found.problem, expected)
        // Before a signed size: the tree without this row, to tell an inserted row from a rewrite.
        const before = roots.has(range.size + 1)
          ? CompactRange.fromFrontier(range.size, range.frontier().map((n) => n.hash))
          : null
        completed.push(...range.append(new Uint8Array(row.leaf_hash)).filter((n) => n.level > 0))
        expected++
        const signed = roots.get(range.size)
        if (signed !== undefined) {
          if (!equalHashes(range.root(), signed)) {
          // An inserted row just before a signed size fails the checkpoint before the next row shows
          // the duplicate index: if the log without this row matches the signed root, it was inserted.
            const [after] = await db.query<{ leaf_hash: Uint8Array }>(
              'select leaf_hash from audit_entries where index = $1', [range.size])
            if (before !== null && after !== undefined && after.leaf_hash.length === before.root().length) {
              before.append(new Uint8Array(after.leaf_hash))
              if (equalHashes(before.root(), signed)) {
                return await failAfterNodes({
                  index: range.size - 1,
                  reason: `entry ${range.size - 1} was inserted: ` +
                    `without it, the log matches the checkpoint signed at size ${range.size}`
                }, expected)
              }
            }
            return await failAfterNodes({
              index: lastGood,
              through: range.size - 1,
              reason: `the log no longer matches the checkpoint signed at size ${range.size}: ` +
                `an entry between ${lastGood} and ${range.size - 1} was rewritten (with its hashes recomputed)`
            }, expected)
          }
          lastGood = range.size
        }
        for (const e of external) {
          if (range.size === e.size && !equalHashes(range.root(), e.root)) {
            return await failAfterNodes({ index: 0, through: range.size - 1, reason: e.rewritten }, expected)
          }
        }
      }
      const earlier = await nodesChecked
      if (earlier !== null) return earlier
      nodesChecked = checkNodes(completed, expected)
      nodesChecked.catch(() => {})
      opts.onProgress?.(expected)
    }
    const last = await nodesChecked
    if (last !== null) return last
  } finally {
    await (worker as EntryChecker | null)?.close()
  }
  const size = expected
  const beyond = checkpoints.find((cp) => cp.size > size)
  if (beyond !== undefined) {
    return fail({
      index: size,
      through: beyond.size - 1,
      reason: `the log has ${size} entries but a checkpoint was signed at size ${beyond.size}: ` +
        `entries ${size}…${beyond.size - 1} were removed`
    }, size)
  }
  const beyondExternal = external.find((e) => e.size > size)
  if (beyondExternal !== undefined) {
    return fail({ index: size, through: beyondExternal.size - 1, reason: beyondExternal.truncated(size) }, size)
  }
  return { ok: true, size, checkpoints: checkpoints.length, problem: null }
}
