/**
 * The audit log writer (design §8).
 *
 * Fail closed: `append` resolves only after the transaction holding the entries has committed
 * (synchronous_commit on), so a caller that awaits it never answers before its entry is durable;
 * if the write fails, every waiting caller gets AUDIT_UNAVAILABLE (DATABASE_UNAVAILABLE when the
 * database did not answer) and answers nothing. A caller also gives up once its entry has waited
 * the database's deadline (design §14.5): its entry may still commit with its batch, an entry
 * without a response, which is allowed; an answer without its entry never is.
 *
 * An acknowledgement that never came leaves the log's state unknown — the batch may have
 * committed after all — so after any failed batch the writer forgets the tree it cached and the
 * next batch reads the log's size and frontier again, under the lock.
 *
 * Group commit: entries of concurrent requests wait while one batch is being written and go into
 * the next transaction together, so durability costs one commit per batch, not per request.
 *
 * Dense indices: each batch takes a transaction-level advisory lock, reads the log size and
 * numbers its entries from there inside the inserting transaction. A sequence would leave gaps on
 * rollback; the lock also orders batches of several service processes on one database.
 */
import type { Executor, Database } from '../db/client.ts'
import { ShifouError } from '../errors.ts'
import { isUnavailable } from '../db/unavailable.ts'
import { canonicalBytes, makeEntry, type Entry, type EntryInput } from './entry.ts'
import { leafHash } from './hasher.ts'
import { CompactRange, type StoredNode } from './compact-range.ts'
import { loadRange, storeNodes } from './tree-store.ts'
import { writeCheckpoint, type CheckpointConfig } from './checkpoint-store.ts'

const nextTurn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

/** Advisory lock key of the audit log ("audit" in ASCII). */
export const AUDIT_LOCK = 0x6175646974

/**
 * A write that must commit in the same transaction as one request's entries: an idempotency key's
 * record (src/idempotency), so that a key is recorded exactly when its answer is. It runs in the
 * entries' transaction before they are written; when it returns an error instead, that request's
 * entries are left out of the batch and the request is refused with it (the others are unaffected).
 */
export interface Companion {
  write(tx: Executor): Promise<ShifouError | null>
}

/**
 * Told the entries of one `commit` as they are numbered, before they commit: the same objects the
 * commit later resolves with, unless the batch had to be numbered again (then it is told again).
 * What it makes of them must stay in the process until the commit resolves with those objects.
 */
export type Numbered = (entries: Entry[]) => void

interface Pending {
  inputs: EntryInput[]
  companion: Companion | null
  numbered: Numbered | null
  resolve: (entries: Entry[]) => void
  reject: (err: Error) => void
  /** Gives up on the entry at the database's deadline (null on PGlite). */
  timer: NodeJS.Timeout | null
}

export interface WriterOptions {
  /** Entries per transaction at most (default 1,000). */
  maxBatch?: number
  /** Signed checkpoints every N entries or T milliseconds; none if absent. */
  checkpoints?: CheckpointConfig
}

/** Writes entries in the caller's transaction; returns them with their indices. */
export async function writeEntries (tx: Executor, inputs: readonly EntryInput[]): Promise<Entry[]> {
  return (await appendEntries(tx, inputs, null)).entries
}

/**
 * Appends entries as leaves of the Merkle tree in the caller's transaction: numbers them after the
 * current size, stores their canonical bytes and leaf hashes and the perfect nodes they complete.
 * `cached` is this process's tree as of its last commit; it is used when no other writer has
 * appended since, and otherwise the frontier is read back (O(log n) nodes). Returns the tree after
 * the append, for the caller to cache once the transaction has committed.
 */
export async function appendEntries (
  tx: Executor,
  inputs: readonly EntryInput[],
  cached: CompactRange | null,
  numbered: Numbered = () => {}
): Promise<{ entries: Entry[], range: CompactRange }> {
  await tx.query('select pg_advisory_xact_lock($1)', [AUDIT_LOCK])
  const [head] = await tx.query<{ size: number | string, now: Date }>(
    'select coalesce(max(index) + 1, 0) as size, clock_timestamp() as now from audit_entries')
  if (head === undefined) throw new Error('audit head query returned nothing')
  const size = Number(head.size)
  const range = cached !== null && cached.size === size
    ? CompactRange.fromFrontier(size, cached.frontier().map((n) => n.hash))
    : await loadRange(tx, size)
  const batch = buildBatch(inputs, range, new Date(head.now))
  await whileSent(tx.query(
    'insert into audit_entries select * from jsonb_populate_recordset(null::audit_entries, $1::jsonb)', [batch.rows]),
  () => { numbered(batch.entries) })
  await storeNodes(tx, batch.nodes)
  return { entries: batch.entries, range }
}

/**
 * The group commit's fast path: one statement (migration 0006, shifou_audit_append) that takes the
 * audit lock, checks that the log still has the size this process's tree has, and inserts the
 * batch and its nodes — one round trip instead of six, which under load was most of an answer's
 * wait. Returns null, with nothing written, when another process appended in the meantime.
 */
export async function appendAfter (
  db: Executor,
  inputs: readonly EntryInput[],
  cached: CompactRange,
  at: Date,
  numbered: Numbered = () => {}
): Promise<{ entries: Entry[], range: CompactRange } | null> {
  const range = CompactRange.fromFrontier(cached.size, cached.frontier().map((n) => n.hash))
  const size = range.size
  const batch = buildBatch(inputs, range, at)
  const inner = batch.nodes.filter((n) => n.level > 0)
  const nodes = JSON.stringify(inner.map((n) => ({ l: n.level, i: n.index, h: Buffer.from(n.hash).toString('hex') })))
  const [row] = await whileSent(db.query<{ v: number | string }>(
    'select shifou_audit_append($1, $2, $3::jsonb, $4::jsonb) as v', [AUDIT_LOCK, size, batch.rows, nodes]),
  () => { numbered(batch.entries) })
  return Number(row!.v) === -1 ? { entries: batch.entries, range } : null
}

/**
 * The row of `audit_entries` for an entry, as JSON that PostgreSQL reads into the table's record
 * type (`jsonb_populate_recordset(null::audit_entries, …)`): its columns are named here and in the
 * drizzle schema only. The filter columns are copies of the entry's fields; `shifou audit verify`
 * checks them against the canonical bytes.
 */
function auditRow (e: Entry, bytes: Uint8Array, leaf: Uint8Array): Record<string, string | number | null> {
  return {
    index: e.index,
    at: e.at,
    kind: e.kind,
    actor_sub: e.actor.sub,
    actor_role: e.actor.role,
    caller: e.caller ?? null,
    question: e.question ?? null,
    purpose: e.purpose ?? null,
    case_id: e.caseId ?? null,
    answer: e.answer ?? null,
    code: e.code ?? null,
    subject: e.subject ?? null,
    verification: e.verification ?? null,
    snapshot: e.snapshot ?? null,
    entry: '\\x' + Buffer.from(bytes).toString('hex'),
    leaf_hash: '\\x' + Buffer.from(leaf).toString('hex')
  }
}

/** Numbers the entries after `range`'s size, appends their leaves to it; rows as JSON for the insert. */
function buildBatch (
  inputs: readonly EntryInput[],
  range: CompactRange,
  at: Date
): { entries: Entry[], rows: string, nodes: StoredNode[] } {
  const size = range.size
  const entries = inputs.map((input, i) => makeEntry(input, size + i, at))
  const nodes: StoredNode[] = []
  const rows = entries.map((e) => {
    const bytes = canonicalBytes(e)
    const leaf = leafHash(bytes)
    nodes.push(...range.append(leaf))
    return auditRow(e, bytes, leaf)
  })
  // One statement for the whole batch, the same on PostgreSQL and PGlite.
  return { entries, rows: JSON.stringify(rows), nodes }
}

/**
 * Awaits the statement just handed to the driver, running `tell` once it has been written to the
 * database (at the end of this turn of the event loop), so that what `tell` does overlaps the
 * database's work — and, if the answer came first, before returning it. Not after a failure.
 */
async function whileSent<T> (statement: Promise<T>, tell: () => void): Promise<T> {
  let told = false
  const once = (): void => {
    if (told) return
    told = true
    // What a request makes of its numbered entries is its own affair (it does it again after the
    // commit if need be): it never fails the batch.
    try { tell() } catch {}
  }
  const sent = setImmediate(once)
  try {
    const result = await statement
    once()
    return result
  } finally {
    clearImmediate(sent)
  }
}

/** Tells each request's `numbered` its own entries of a batch's (in the batch's order). */
function tell (batch: readonly Pending[], entries: readonly Entry[]): void {
  let i = 0
  for (const p of batch) {
    p.numbered?.(entries.slice(i, i + p.inputs.length))
    i += p.inputs.length
  }
}

function unavailableLog (): ShifouError {
  return new ShifouError('DATABASE_UNAVAILABLE',
    'The database is not answering; the audit entry was not written and no answer was given')
}

export class AuditWriter {
  readonly #database: Database
  readonly #maxBatch: number
  readonly #checkpoints: CheckpointConfig | null
  #range: CompactRange | null = null
  #lastAt = 0
  #lastCheckpoint = -1
  #checkpointing: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #queue: Pending[] = []
  #flushing: Promise<void> | null = null
  #closed = false
  readonly #checkpointListeners: Array<(checkpoint: { size: number, note: string }) => void> = []
  /** Number of batches that failed (exported as a metric). */
  failures = 0
  /** Entries whose caller gave up waiting for the commit (they may have committed). */
  timeouts = 0
  batches = 0
  checkpointsWritten = 0

  constructor (database: Database, opts: WriterOptions = {}) {
    this.#database = database
    this.#maxBatch = opts.maxBatch ?? 1000
    this.#checkpoints = opts.checkpoints ?? null
    if (this.#checkpoints !== null) {
      this.#timer = setInterval(() => { this.checkpoint().catch(() => {}) }, this.#checkpoints.everyMs)
      this.#timer.unref()
    }
  }

  /**
   * Calls `listener` after each checkpoint this writer signs (the witnesses are sent it). Listeners
   * must not throw and must not block: an answer never waits for them.
   */
  onCheckpoint (listener: (checkpoint: { size: number, note: string }) => void): void {
    this.#checkpointListeners.push(listener)
  }

  /**
   * Signs a checkpoint of the log as it is now, unless the latest one already covers it. Runs one
   * at a time; called every N entries, every T ms and on close.
   */
  async checkpoint (): Promise<void> {
    if (this.#checkpoints === null) return
    while (this.#checkpointing !== null) await this.#checkpointing
    this.#checkpointing = (async () => {
      const written = await writeCheckpoint(this.#database, this.#checkpoints!, this.#range)
      if (written !== null) {
        this.#lastCheckpoint = written.size
        this.checkpointsWritten++
        for (const listener of this.#checkpointListeners) {
          try { listener(written) } catch {}
        }
      }
    })().finally(() => { this.#checkpointing = null })
    await this.#checkpointing
  }

  /** Appends entries (group-committed); resolves with their indices once committed. */
  async append (inputs: EntryInput[]): Promise<number[]> {
    return (await this.commit(inputs)).map((e) => e.index)
  }

  /**
   * Appends entries (group-committed); resolves with the entries as written (index and `at`) once
   * committed, together with `companion`'s write when there is one. `numbered` is told them while
   * their batch commits (see `Numbered`).
   */
  commit (inputs: EntryInput[], companion?: Companion, numbered?: Numbered): Promise<Entry[]> {
    if (this.#closed) return Promise.reject(new ShifouError('AUDIT_UNAVAILABLE', 'The audit log is shutting down'))
    // While the database is known not to answer, waiting behind a batch that is stuck in it would
    // only add that batch's deadline to this request's. (With no batch in flight, the entry's own
    // batch asks the database's breaker, which refuses it at once or lets it through as a trial.)
    if (!this.#database.available && this.#flushing !== null) return Promise.reject(unavailableLog())
    return new Promise((resolve, reject) => {
      const timeoutMs = this.#database.timeoutMs
      const pending: Pending = {
        inputs, companion: companion ?? null, numbered: numbered ?? null, resolve, reject, timer: null
      }
      if (timeoutMs !== null) {
        pending.timer = setTimeout(() => {
          this.timeouts++
          // Not yet in a batch: it is never written. In a batch: it may commit without a response.
          const queued = this.#queue.indexOf(pending)
          if (queued >= 0) this.#queue.splice(queued, 1)
          reject(new ShifouError('DATABASE_UNAVAILABLE',
            `The audit entry was not committed within ${timeoutMs} ms; no answer was given`))
        }, timeoutMs)
      }
      this.#queue.push(pending)
      // The batch leaves at the end of this turn of the event loop, with every entry handed in
      // meanwhile (as src/db/batch.ts does, and measured there).
      if (this.#flushing === null) this.#flushing = nextTurn().then(async () => { await this.#flush() })
    })
  }

  /** Appends inside a transaction the caller controls (admin changes, loads). */
  async appendIn (tx: Executor, inputs: EntryInput[]): Promise<number[]> {
    return (await writeEntries(tx, inputs)).map((e) => e.index)
  }

  get pending (): number {
    return this.#queue.length
  }

  async #flush (): Promise<void> {
    while (this.#queue.length > 0) {
      const batch: Pending[] = []
      let count = 0
      while (this.#queue.length > 0 && (count === 0 || count + this.#queue[0]!.inputs.length <= this.#maxBatch)) {
        const next = this.#queue.shift()!
        batch.push(next)
        count += next.inputs.length
      }
      try {
        const inputs = batch.flatMap((p) => p.inputs)
        // The entries' time: the clock of this process, never earlier than its previous batch's.
        const now = new Date(Math.max(Date.now(), this.#lastAt))
        // A batch with companion writes takes the transaction path: the stored function writes entries only.
        const companions = batch.some((p) => p.companion !== null)
        const fast = this.#range === null || companions
          ? null
          : await appendAfter(this.#database, inputs, this.#range, now, (entries) => { tell(batch, entries) })
        const { entries, range, refused } = fast === null
          ? await this.#database.transaction(async (tx) => await this.#appendWithCompanions(tx, batch))
          : { ...fast, refused: new Map<Pending, ShifouError>() }
        if (entries.length > 0) this.#lastAt = new Date(entries[entries.length - 1]!.at).getTime()
        this.#range = range
        this.batches++
        if (range !== null && this.#checkpoints !== null &&
          range.size - this.#lastCheckpoint >= this.#checkpoints.everyEntries) {
          this.checkpoint().catch(() => {})
        }
        let i = 0
        for (const p of batch) {
          if (p.timer !== null) clearTimeout(p.timer)
          const err = refused.get(p)
          if (err !== undefined) {
            p.reject(err)
            continue
          }
          p.resolve(entries.slice(i, i + p.inputs.length))
          i += p.inputs.length
        }
      } catch (failure) {
        // Rolled back, or never acknowledged and perhaps committed: the cached tree may be behind
        // or ahead of the stored one. The next batch reads it again.
        this.#range = null
        this.failures++
        const err = isUnavailable(failure)
          ? unavailableLog()
          : new ShifouError('AUDIT_UNAVAILABLE', 'The audit log cannot be written; no answer was given')
        for (const p of batch) {
          if (p.timer !== null) clearTimeout(p.timer)
          p.reject(err)
        }
      }
    }
    this.#flushing = null
  }

  /** The batch in one transaction: each companion's write, then the entries of the requests it kept. */
  async #appendWithCompanions (
    tx: Executor, batch: readonly Pending[]
  ): Promise<{ entries: Entry[], range: CompactRange | null, refused: Map<Pending, ShifouError> }> {
    const refused = new Map<Pending, ShifouError>()
    for (const p of batch) {
      const err = p.companion === null ? null : await p.companion.write(tx)
      if (err !== null) refused.set(p, err)
    }
    const kept = batch.filter((p) => !refused.has(p))
    const inputs = kept.flatMap((p) => p.inputs)
    if (inputs.length === 0) return { entries: [], range: this.#range, refused }
    return { ...await appendEntries(tx, inputs, this.#range, (entries) => { tell(kept, entries) }), refused }
  }

  /** Waits until every entry handed in so far is committed or refused. */
  async drain (): Promise<void> {
    while (this.#flushing !== null) await this.#flushing
  }

  async close (): Promise<void> {
    this.#closed = true
    await this.drain()
    if (this.#timer !== null) clearInterval(this.#timer)
    // A last checkpoint, so the entries of this process's final moments are covered.
    await this.checkpoint().catch(() => {})
  }
}
