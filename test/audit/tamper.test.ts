/**
 * AU2a–AU2i (security-research §4.6): a database superuser tampers with a signed audit log, and
 * `verifyLog` must notice and name the first bad index (or the narrowest range it can vouch for).
 *
 * One log of ~300 entries is built (a checkpoint every 25 entries plus a final one: 13 signed
 * sizes, as many boundaries as twice the entries every 50 would give, at half the cost of each
 * verification, which is most of this file's time); every trial
 * tampers with it inside a transaction, verifies there and rolls back, so the next trial starts
 * from the same log without copying it back (each subtest then checks that the log still verifies).
 * Positions are drawn from a seeded PRNG: the seed is printed, and TAMPER_SEED=<seed> replays a
 * run (TAMPER_TRIALS=<n> runs more random trials per kind). Fixed edge positions (the first and
 * last entries, checkpoint boundaries) run on every seed.
 */
import { prng } from '../../src/demo/population.ts'
import t, { type Test } from 'tap'
import { randomInt } from 'node:crypto'
import type { Database, Executor } from '../../src/db/client.ts'
import { testDatabase } from '../helpers/db.ts'
import { AuditWriter, writeEntries } from '../../src/audit/writer.ts'
import { canonicalBytes, makeEntry, parseEntry, type Entry, type EntryInput } from '../../src/audit/entry.ts'
import { leafHash } from '../../src/audit/hasher.ts'
import { CompactRange } from '../../src/audit/compact-range.ts'
import { signCheckpoint } from '../../src/audit/checkpoint-note.ts'
import { ed25519SignerFromSeed } from '../../src/crypto/signed-note.ts'
import { allCheckpoints } from '../../src/audit/checkpoint-store.ts'
import { storeNodes } from '../../src/audit/tree-store.ts'
import { verifyLog, type VerifyReport } from '../../src/audit/log-check.ts'
import { EntryCheckWorker, type EntryChecker } from '../../src/audit/entry-checker.ts'

const ORIGIN = 'tamper.test.shifou.local/audit'
const signer = ed25519SignerFromSeed(ORIGIN, new Uint8Array(32).fill(0x5a))
const verifier = { name: ORIGIN, publicKey: signer.publicKey }
const EVERY = 25
const TABLES = ['audit_entries', 'audit_nodes', 'audit_checkpoints'] as const

const seed =
  process.env.TAMPER_SEED !== undefined && process.env.TAMPER_SEED !== ''
    ? Number(process.env.TAMPER_SEED) >>> 0
    : randomInt(2 ** 31)
const TRIALS =
  process.env.TAMPER_TRIALS !== undefined && process.env.TAMPER_TRIALS !== '' ? Number(process.env.TAMPER_TRIALS) : 5
t.comment(`TAMPER_SEED=${seed} (set TAMPER_SEED=${seed} to replay this run)`)

const rand = prng(seed)
/** An integer in [lo, hi]. */
const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!

const WORDS = ['a', 'b"c', 'd\\e', '是否', '無房證明', 'ä', '😀', 'line\nbreak', 'tab\there', '']
const hexOf = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[between(0, 15)]).join('')

function randomInput (): EntryInput {
  const caller = 'client-' + between(1, 4)
  const r = rand()
  if (r < 0.7) {
    return {
      kind: 'answer',
      actor: { sub: caller, role: 'caller' },
      verification: hexOf(16),
      caller,
      question: pick(['property.holds', 'residence.in', 'age.atLeast']),
      params: {
        year: between(1990, 2030),
        ok: rand() < 0.5,
        s: pick(WORDS),
        f: pick([0.1, 1.5e-7, 1e21, -3, 2 ** 53 - 1])
      },
      purpose: pick(['housing-subsidy', 'tax', '稅務']),
      caseId: 'C-' + between(1, 9999),
      answer: rand() < 0.5 ? 'yes' : 'no',
      asOf: '2025-06-30',
      snapshot: between(1, 40),
      subject: hexOf(64),
      keyVersion: 1,
      norm: 'n1'
    }
  }
  if (r < 0.85) {
    return {
      kind: 'refusal',
      actor: { sub: caller, role: 'caller' },
      caller,
      question: 'property.holds',
      code: pick(['QUOTA_EXCEEDED', 'FORBIDDEN'])
    }
  }
  if (r < 0.9) {
    return {
      kind: 'subject-search',
      actor: { sub: 'aud-1', role: 'auditor' },
      subject: hexOf(64),
      caseId: 'A-' + between(1, 99)
    }
  }
  if (r < 0.95) {
    return {
      kind: 'load',
      actor: { sub: 'ops-1', role: 'admin' },
      snapshot: between(1, 40),
      detail: { rows: between(0, 1e6), name: pick(WORDS), nested: { list: [1, 'x', null, true] } }
    }
  }
  return {
    kind: 'change',
    actor: { sub: 'ops-1', role: 'admin' },
    detail: { resource: 'client', id: caller, op: pick(['create', 'update']) }
  }
}

/** Builds a log of `size` entries, signing a checkpoint every EVERY entries and at the end. */
async function buildLog (db: Database, size: number): Promise<void> {
  const writer = new AuditWriter(db, {
    checkpoints: { signer, origin: ORIGIN, everyEntries: EVERY, everyMs: 3_600_000 }
  })
  for (let start = 0; start < size; start += EVERY) {
    const end = Math.min(size, start + EVERY)
    const requests: EntryInput[][] = []
    for (let i = start; i < end;) {
      const n = Math.min(end - i, between(1, 5))
      requests.push(Array.from({ length: n }, randomInput))
      i += n
    }
    // Concurrent requests: group-committed into one or more transactions.
    await Promise.all(requests.map(async (r) => await writer.append(r)))
    await writer.checkpoint()
  }
  await writer.close()
}

/** Turns the append-only triggers off (inside a transaction: until it ends), as a database superuser can. */
async function triggersOff (tx: Executor): Promise<void> {
  for (const table of TABLES) await tx.query(`alter table ${table} disable trigger user`)
}

/** Thrown to roll a trial's transaction back. */
const ROLLBACK = new Error('rollback')

/** Runs `fn` as a superuser in a transaction that is then rolled back: whatever it did is undone. */
async function undone (db: Database, fn: (tx: Executor) => Promise<void>): Promise<void> {
  try {
    await db.transaction(async (tx) => {
      await triggersOff(tx)
      await fn(tx)
      throw ROLLBACK
    })
  } catch (err) {
    if (err !== ROLLBACK) throw err
  }
}

interface EntryRow { index: number, entry: Uint8Array, leaf_hash: Uint8Array }

async function entryRows (db: Executor): Promise<EntryRow[]> {
  return (await db.query<EntryRow>('select index, entry, leaf_hash from audit_entries order by index'))
    .map((r) => ({ index: Number(r.index), entry: new Uint8Array(r.entry), leaf_hash: new Uint8Array(r.leaf_hash) }))
}

async function readEntry (db: Executor, k: number): Promise<Entry> {
  const [row] = await db.query<{ entry: Uint8Array }>('select entry from audit_entries where index = $1', [k])
  return parseEntry(new Uint8Array(row!.entry))
}

/** The columns audit_entries copies out of an entry, in insert order. */
function columnsOf (e: Entry): unknown[] {
  return [e.kind, e.actor.sub, e.actor.role, e.caller ?? null, e.question ?? null, e.purpose ?? null, e.caseId ?? null,
    e.answer ?? null, e.code ?? null, e.subject ?? null, e.verification ?? null, e.snapshot ?? null]
}

/** An edit an attacker would make: flips the answer, or changes the caller of an entry without one. */
function falsify (e: Entry): Entry {
  return e.answer !== undefined ? { ...e, answer: e.answer === 'yes' ? 'no' : 'yes' } : { ...e, caller: 'mallory' }
}

/** Stores `e` at its index with consistent bytes, leaf hash and columns (the audit_nodes are left alone). */
async function overwriteEntry (db: Executor, e: Entry): Promise<void> {
  const bytes = canonicalBytes(e)
  await db.query(
    `update audit_entries set kind = $2, actor_sub = $3, actor_role = $4, caller = $5, question = $6, purpose = $7,
      case_id = $8, answer = $9, code = $10, subject = $11, verification = $12, snapshot = $13, entry = $14,
      leaf_hash = $15
    where index = $1`,
    [e.index, ...columnsOf(e), Buffer.from(bytes), Buffer.from(leafHash(bytes))]
  )
}

/** Deletes audit_nodes and writes them again from the stored leaf hashes (what an attacker recomputes). */
async function rebuildNodes (db: Executor): Promise<void> {
  const range = new CompactRange()
  const nodes = (await entryRows(db)).flatMap((r) => range.append(leafHash(r.entry)))
  await db.query('delete from audit_nodes')
  await storeNodes(db, nodes)
}

/**
 * AU2f: edits entry k and recomputes everything a hash can give away: canonical bytes and leaf
 * hashes of every entry from k on, and the whole stored tree. Only the signed checkpoints are left.
 */
async function rewriteFrom (db: Executor, k: number): Promise<void> {
  await overwriteEntry(db, falsify(await readEntry(db, k)))
  const rows = (await entryRows(db)).filter((r) => r.index > k).map((r) => {
    const bytes = canonicalBytes(parseEntry(r.entry))
    return {
      index: r.index,
      entry: Buffer.from(bytes).toString('hex'),
      leaf: Buffer.from(leafHash(bytes)).toString('hex')
    }
  })
  await db.query(
    `update audit_entries a set entry = decode(x.entry, 'hex'), leaf_hash = decode(x.leaf, 'hex')
    from jsonb_to_recordset($1::jsonb) as x(index bigint, entry text, leaf text) where a.index = x.index`,
    [JSON.stringify(rows)]
  )
  await rebuildNodes(db)
}

const verify = async (db: Executor, against?: string, batch?: number, checker?: EntryChecker): Promise<VerifyReport> =>
  await verifyLog(db, {
    verifier,
    origin: ORIGIN,
    ...(against === undefined ? {} : { against }),
    ...(batch === undefined ? {} : { batch }),
    ...(checker === undefined ? {} : { checker })
  })

/**
 * Entries a page when a trial verifies again in pages, with each entry's own checks on a worker
 * thread: the log of a trial spans several pages, so that a page's stored nodes, compared while
 * the next page is checked, and the worker's findings are still reported in the entries' order.
 */
const PAGE = 37

/** Distinct positions: the fixed edge cases, then `TRIALS` random ones in [lo, hi]. */
function positions (lo: number, hi: number, edges: number[]): number[] {
  const out = new Set(edges.filter((k) => k >= lo && k <= hi))
  for (let i = 0; i < TRIALS; i++) out.add(between(lo, hi))
  return [...out]
}

t.test('tampering with a signed audit log is detected and located (AU2a–AU2i)', async (t) => {
  const db = await testDatabase(t)
  const worker = new EntryCheckWorker()
  t.teardown(async () => { await worker.close() })
  const size = 300 + between(1, EVERY - 1)
  const built = Date.now()
  await buildLog(db, size)
  const checkpoints = await allCheckpoints(db)
  const sizes = checkpoints.map((c) => c.size)
  t.comment(`built ${size} entries and ${checkpoints.length} checkpoints in ${Date.now() - built} ms`)
  t.equal(sizes[sizes.length - 1], size, 'the last checkpoint covers the whole log')
  t.ok(
    sizes.every((s, i) => s - (sizes[i - 1] ?? 0) <= EVERY),
    `a checkpoint at least every ${EVERY} entries: ${sizes.join(' ')}`
  )
  const latest = checkpoints[checkpoints.length - 1]!.note
  const pristine = await verify(db, latest)
  t.same(pristine, { ok: true, size, checkpoints: checkpoints.length, problem: null }, 'the untouched log verifies')
  t.same(await verify(db, latest, PAGE), pristine, 'and in pages, the checks on a worker thread verifyLog starts')
  /**
   * Positions next to signed sizes, where a bad entry meets a checkpoint's root: around the first
   * checkpoint, the last one and a random one (all of them with TAMPER_TRIALS ≥ 20).
   */
  const near = TRIALS >= 20 ? sizes : [sizes[0]!, pick(sizes), sizes[sizes.length - 1]!]
  const boundaries = near.flatMap((s) => [s - 2, s - 1, s])

  /** One trial, undone afterwards: the tampering, then the verifier's report (and `expect`'s further checks). */
  const trial = async (
    t: Test,
    name: string,
    tamper: (tx: Executor) => Promise<void>,
    expect: (report: VerifyReport, tx: Executor) => unknown
  ): Promise<void> => {
    await undone(db, async (tx) => {
      await tamper(tx)
      const report = await verify(tx)
      t.notOk(report.ok, `${name}: detected (${report.problem?.reason ?? 'no problem reported'}) [seed ${seed}]`)
      // The same problem; `size`, how far the check got, ends at a page's end.
      const paged = await verify(tx, undefined, PAGE, worker)
      t.same(paged.problem, report.problem, `${name}: the same problem found reading ${PAGE} entries a page`)
      await expect(report, tx)
    })
  }
  /** After a subtest's trials: every one of them was undone, and the log verifies as built. */
  const untouched = async (t: Test): Promise<void> => {
    t.same(await verify(db, latest), pristine, 'every trial was undone: the log verifies as built')
  }

  t.test('AU2a: one field updated at k is reported at k', async (t) => {
    const answered = (
      await db.query<{ index: number }>('select index from audit_entries where answer is not null order by index')
    ).map((r) => Number(r.index))
    const fields: Array<{ field: string, eligible: number[], tamper: (db: Executor, k: number) => Promise<void> }> = [
      {
        field: 'the answer in the entry bytes only',
        eligible: answered,
        tamper: async (db, k) => {
          const e = await readEntry(db, k)
          await db.query('update audit_entries set entry = $2 where index = $1', [
            k,
            Buffer.from(canonicalBytes(falsify(e)))
          ])
        }
      },
      {
        field: 'the answer column',
        eligible: answered,
        tamper: async (db, k) => {
          await db.query(
            "update audit_entries set answer = case answer when 'yes' then 'no' else 'yes' end where index = $1",
            [k]
          )
        }
      },
      {
        field: 'the caller column',
        eligible: [],
        tamper: async (db, k) => {
          await db.query("update audit_entries set caller = 'mallory' where index = $1", [k])
        }
      },
      {
        field: 'the at column (time)',
        eligible: [],
        tamper: async (db, k) => {
          await db.query("update audit_entries set at = at - interval '1 day' where index = $1", [k])
        }
      },
      {
        field: 'the subject column',
        eligible: [],
        tamper: async (db, k) => {
          await db.query('update audit_entries set subject = $2 where index = $1', [k, hexOf(64)])
        }
      },
      {
        field: 'the entry bytes and leaf hash (columns left)',
        eligible: answered,
        tamper: async (db, k) => {
          const bytes = canonicalBytes(falsify(await readEntry(db, k)))
          await db.query('update audit_entries set entry = $2, leaf_hash = $3 where index = $1', [
            k,
            Buffer.from(bytes),
            Buffer.from(leafHash(bytes))
          ])
        }
      }
    ]
    for (const { field, eligible, tamper } of fields) {
      const ks =
        eligible.length > 0
          ? [
              ...new Set([
                eligible[0]!,
                eligible[eligible.length - 1]!,
                ...Array.from({ length: TRIALS }, () => pick(eligible))
              ])
            ]
          : positions(0, size - 1, [0, size - 1])
      for (const k of ks) {
        await trial(t, `${field} at ${k}`, async (db) => { await tamper(db, k) }, (report) => {
          t.equal(report.problem?.index, k, `${field} at ${k}: first bad index ${k}`)
        })
      }
    }
    await untouched(t)
  })

  t.test('AU2b: a deleted row k is reported at k', async (t) => {
    for (const k of positions(0, size - 1, [0, size - 1, ...boundaries])) {
      await trial(t, `delete ${k}`, async (db) => {
        await db.query('delete from audit_entries where index = $1', [k])
      }, (report) => {
        t.equal(report.problem?.index, k, `deleted ${k}: first bad index ${k}`)
      })
    }
    await untouched(t)
  })

  t.test('AU2c: a forged row inserted between k and k + 1 is reported at k + 1', async (t) => {
    for (const k of positions(0, size - 2, [0, size - 2, ...boundaries])) {
      await trial(t, `insert after ${k}`, async (db) => {
        // Make room: shift the rows after k up by one (through an offset, as the index is a key).
        await db.query('update audit_entries set index = index + 1000000000 where index > $1', [k])
        await db.query('update audit_entries set index = index - 1000000000 + 1 where index > 1000000000')
        // A forged entry that is consistent on its own: its bytes name index k + 1, its leaf hash is right.
        const forged = makeEntry(
          {
            kind: 'answer',
            actor: { sub: 'client-1', role: 'caller' },
            caller: 'client-1',
            question: 'property.holds',
            answer: 'no',
            subject: hexOf(64)
          },
          k + 1,
          new Date()
        )
        const bytes = canonicalBytes(forged)
        await db.query(
          `insert into audit_entries (index, at, kind, actor_sub, actor_role, caller, question, purpose, case_id,
            answer, code, subject, verification, snapshot, entry, leaf_hash)
          values ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
          [k + 1, forged.at, ...columnsOf(forged), Buffer.from(bytes), Buffer.from(leafHash(bytes))]
        )
      }, (report) => {
        t.equal(report.problem?.index, k + 1, `inserted at ${k + 1}: first bad index ${k + 1}`)
      })
    }
    await untouched(t)
  })

  t.test('AU2d: rows k and k + 1 swapped are reported at k', async (t) => {
    for (const k of positions(0, size - 2, [0, size - 2, ...boundaries])) {
      const whole = rand() < 0.5
      await trial(t, `swap ${k} and ${k + 1} (${whole ? 'whole rows' : 'entry bytes and leaf hashes'})`, async (db) => {
        const set = whole
          ? `entry = b.entry, leaf_hash = b.leaf_hash, at = b.at, kind = b.kind, actor_sub = b.actor_sub,
             actor_role = b.actor_role, caller = b.caller, question = b.question, purpose = b.purpose,
             case_id = b.case_id, answer = b.answer, code = b.code, subject = b.subject,
             verification = b.verification, snapshot = b.snapshot`
          : 'entry = b.entry, leaf_hash = b.leaf_hash'
        await db.query(`update audit_entries a set ${set} from audit_entries b
          where (a.index = $1 and b.index = $1 + 1) or (a.index = $1 + 1 and b.index = $1)`, [k])
      }, (report) => {
        t.equal(report.problem?.index, k, `swapped ${k} and ${k + 1}: first bad index ${k}`)
      })
    }
    await untouched(t)
  })

  t.test('AU2e: a truncated tail of m entries is reported at size − m', async (t) => {
    const ms = new Set([1, 100, ...Array.from({ length: TRIALS }, () => between(1, 100))])
    for (const m of ms) {
      const cleanNodes = rand() < 0.5
      await trial(t, `truncate the last ${m}${cleanNodes ? ' and their tree nodes' : ''}`, async (db) => {
        await db.query('delete from audit_entries where index >= $1', [size - m])
        if (cleanNodes) {
          await db.query('delete from audit_nodes where (index + 1) * (2::bigint ^ level)::bigint > $1', [size - m])
        }
      }, async (report, db) => {
        t.equal(report.problem?.index, size - m, `truncated ${m}: first bad index ${size - m}`)
        // The attacker also deletes the checkpoints that cover the removed entries: only a copy
        // of a checkpoint kept outside the database still shows the truncation.
        await db.query('delete from audit_checkpoints where size > $1', [size - m])
        const hidden = await verify(db)
        t.ok(hidden.ok, `truncated ${m} and its checkpoints deleted: the database alone cannot tell`)
        const caught = await verify(db, latest)
        t.notOk(caught.ok, 'the checkpoint kept outside catches it')
        t.equal(caught.problem?.index, size - m, `against the kept checkpoint: first bad index ${size - m}`)
      })
    }
    await untouched(t)
  })

  t.test('AU2f: a rewrite with recomputed hashes but no signing key is located between two checkpoints', async (t) => {
    for (const k of positions(0, size - 1, [0, size - 1, ...boundaries])) {
      await trial(t, `rewrite from ${k}`, async (db) => { await rewriteFrom(db, k) }, (report) => {
        const p = report.problem
        t.ok(
          p !== null && p.index <= k && p.through !== undefined && k <= p.through,
          `rewrite at ${k} lies in the reported range ${p?.index}…${p?.through}`
        )
        t.ok(
          p !== null && p.through !== undefined && p.through - p.index + 1 <= EVERY,
          `the range is at most ${EVERY} entries wide`
        )
      })
    }
    await untouched(t)
  })

  t.test('AU2g: a rewrite re-signed with a stolen key is caught only by a checkpoint kept outside', async (t) => {
    for (const k of positions(0, size - 1, [0, size - 1, ...boundaries])) {
      // Notes an auditor or witness kept before the tampering: the latest, one covering k, one not.
      const covering = pick(checkpoints.filter((c) => c.size > k)).note
      const older = checkpoints.filter((c) => c.size <= k)
      await undone(db, async (db) => {
        await rewriteFrom(db, k)
        await db.query('delete from audit_checkpoints')
        const leaves = (await entryRows(db)).map((r) => r.leaf_hash)
        const range = new CompactRange()
        for (const cp of checkpoints) {
          while (range.size < cp.size) range.append(leaves[range.size]!)
          const note = signCheckpoint({ origin: ORIGIN, size: cp.size, root: range.root() }, signer)
          await db.query(
            'insert into audit_checkpoints (size, root, note, created_at) values ($1, $2, $3, $4::timestamptz)',
            [cp.size, Buffer.from(range.root()), note, cp.createdAt]
          )
        }
        // What the verifier cannot do: everything the database holds is consistent and validly signed.
        const inside = await verify(db)
        t.ok(inside.ok, `rewrite from ${k}, re-signed: the database alone passes (only an external copy catches this)`)
        for (const [which, note] of [
          ['the latest checkpoint', latest],
          ['a checkpoint covering k', covering]
        ] as const) {
          const report = await verify(db, note)
          const p = report.problem
          t.notOk(report.ok, `rewrite from ${k}, re-signed: caught against ${which}`)
          t.ok(
            p !== null && p.index <= k && p.through !== undefined && k <= p.through,
            `the rewrite at ${k} lies in ${p?.index}…${p?.through}`
          )
        }
        if (older.length > 0) {
          const before = pick(older)
          t.ok(
            (await verify(db, before.note)).ok,
            `a kept checkpoint of size ${before.size} ≤ ${k} still matches: the prefix it signed is intact`
          )
        }
      })
    }
    await untouched(t)
  })

  t.test('AU2h: a flipped bit in a stored hash is located', async (t) => {
    const nodes = (
      await db.query<{ level: number, index: number }>('select level, index from audit_nodes order by level, index')
    ).map((n) => ({ level: Number(n.level), index: Number(n.index) }))
    const chosen = [
      nodes[0]!,
      nodes[nodes.length - 1]!,
      ...nodes.filter((n) => n.level === Math.max(...nodes.map((m) => m.level))),
      ...Array.from({ length: TRIALS }, () => pick(nodes))
    ]
    for (const node of chosen) {
      const first = node.index * 2 ** node.level
      const last = first + 2 ** node.level - 1
      const bit = between(0, 255)
      await trial(t, `bit ${bit} of node (${node.level}, ${node.index})`, async (db) => {
        await db.query(
          'update audit_nodes set hash = set_bit(hash, $3, 1 - get_bit(hash, $3)) where level = $1 and index = $2',
          [node.level, node.index, bit]
        )
      }, (report) => {
        const p = report.problem
        t.ok(
          p !== null && p.index <= first && p.through !== undefined && last <= p.through,
          `leaves ${first}…${last} under the node lie in the reported ${p?.index}…${p?.through}`
        )
      })
    }
    for (const k of positions(0, size - 1, [0, size - 1])) {
      const bit = between(0, 255)
      await trial(t, `bit ${bit} of leaf hash ${k}`, async (db) => {
        await db.query(
          'update audit_entries set leaf_hash = set_bit(leaf_hash, $2, 1 - get_bit(leaf_hash, $2)) where index = $1',
          [k, bit]
        )
      }, (report) => {
        t.equal(report.problem?.index, k, `leaf hash ${k}: first bad index ${k}`)
      })
    }
    for (let i = 0; i < 2; i++) {
      const cp = i === 0 ? checkpoints[checkpoints.length - 1]! : pick(checkpoints)
      const bit = between(0, 255)
      await trial(t, `bit ${bit} of the root of checkpoint ${cp.size}`, async (db) => {
        await db.query('update audit_checkpoints set root = set_bit(root, $2, 1 - get_bit(root, $2)) where size = $1', [
          cp.size,
          bit
        ])
      }, (report) => {
        t.equal(report.problem?.through, cp.size - 1, `the checkpoint at ${cp.size} is named`)
      })
    }
    await untouched(t)
  })

  t.test('a page\'s stored nodes are reported before a problem of the next page', async (t) => {
    // Entry 30 rewritten with its bytes, leaf hash and columns consistent, its tree nodes left: in
    // pages of 37, the node over leaves 30…31 is completed (and wrong) in the first page, while the
    // checkpoint signed at 50 fails in the second. The first page's nodes are compared while the
    // second is checked; their problem is still the one reported.
    await undone(db, async (tx) => {
      await overwriteEntry(tx, falsify(await readEntry(tx, 30)))
      const { problem } = await verify(tx, undefined, PAGE)
      const reason = problem?.reason ?? 'no problem reported'
      t.match(reason, /^the stored tree node at level \d+, index \d+ does not match/, reason)
      t.ok(problem !== null && problem.index <= 30 && (problem.through ?? -1) >= 30, 'the node covers entry 30')
    })
    await untouched(t)
  })

  t.test('the append-only triggers refuse UPDATE, DELETE and TRUNCATE (AU3)', async (t) => {
    const counts = async (): Promise<number[]> =>
      await Promise.all(
        TABLES.map(async (table) =>
          Number((await db.query<{ n: number }>(`select count(*)::int as n from ${table}`))[0]!.n)
        )
      )
    const before = await counts()
    const statements = [
      "update audit_entries set answer = 'no' where index = 0",
      'delete from audit_entries where index = 0',
      'truncate audit_entries',
      'update audit_nodes set hash = hash where level = 1',
      'delete from audit_nodes',
      'truncate audit_nodes',
      'update audit_checkpoints set note = note',
      'delete from audit_checkpoints where size > 0',
      'truncate audit_checkpoints'
    ]
    for (const statement of statements) {
      await t.rejects(db.query(statement), { code: '42501', message: /append-only/ }, statement)
    }
    t.same(await counts(), before, 'nothing was changed')
    t.ok((await verify(db, latest)).ok, 'the log still verifies')
  })
})

t.test('AU2i: untouched logs verify, 20 times over (no false positives)', async (t) => {
  const db = await testDatabase(t)
  for (let round = 0; round < 20; round++) {
    await db.transaction(async (tx) => {
      await triggersOff(tx)
      for (const table of TABLES) await tx.query(`delete from ${table}`)
      for (const table of TABLES) await tx.query(`alter table ${table} enable trigger user`)
    })
    const every = between(1, 80)
    const writer = new AuditWriter(db, {
      maxBatch: between(1, 60),
      checkpoints: { signer, origin: ORIGIN, everyEntries: every, everyMs: 3_600_000 }
    })
    let total = 0
    const target = between(1, 250)
    while (total < target) {
      const requests = Array.from({ length: between(1, 12) }, () => Array.from({ length: between(1, 4) }, randomInput))
      total += requests.reduce((n, r) => n + r.length, 0)
      if (rand() < 0.15) {
        // An append in a transaction of the caller's (admin changes, loads): no cached tree.
        await db.transaction(async (tx) => { await writeEntries(tx, requests.flat()) })
      } else {
        await Promise.all(requests.map(async (r) => await writer.append(r)))
      }
    }
    await writer.close()
    // Sometimes entries beyond the last checkpoint, as between two checkpoints in service.
    if (rand() < 0.5) {
      const tail = Array.from({ length: between(1, 20) }, randomInput)
      await db.transaction(async (tx) => { await writeEntries(tx, tail) })
      total += tail.length
    }
    const checkpoints = await allCheckpoints(db)
    const report = await verify(db)
    t.same(
      report,
      { ok: true, size: total, checkpoints: checkpoints.length, problem: null },
      `round ${round}: ${total} entries, a checkpoint every ${every}: ok`
    )
    const kept = pick(checkpoints)
    t.ok((await verify(db, kept.note)).ok, `round ${round}: consistent with its checkpoint at ${kept.size}`)
  }
})
