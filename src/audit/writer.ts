/**
 * The audit log writer (design §8).
 *
 * Fail closed: `append` resolves only after the transaction holding the entries has committed
 * (synchronous_commit on), so a caller that awaits it never answers before its entry is durable;
 * if the write fails, every waiting caller gets AUDIT_UNAVAILABLE and answers nothing.
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
import { canonicalBytes, makeEntry, type Entry, type EntryInput } from './entry.ts'
import { leafHash } from './hasher.ts'

/** Advisory lock key of the audit log ("audit" in ASCII). */
export const AUDIT_LOCK = 0x6175646974

interface Pending {
  inputs: EntryInput[]
  resolve: (indices: number[]) => void
  reject: (err: Error) => void
}

export interface WriterOptions {
  /** Entries per transaction at most (default 1,000). */
  maxBatch?: number
}

/** Writes entries in the caller's transaction; returns their indices. Used by both paths. */
export async function writeEntries (tx: Executor, inputs: readonly EntryInput[]): Promise<Entry[]> {
  await tx.query('select pg_advisory_xact_lock($1)', [AUDIT_LOCK])
  const [head] = await tx.query<{ size: number | string, now: Date }>(
    'select coalesce(max(index) + 1, 0) as size, clock_timestamp() as now from audit_entries')
  if (head === undefined) throw new Error('audit head query returned nothing')
  const size = Number(head.size)
  const at = new Date(head.now)
  const entries = inputs.map((input, i) => makeEntry(input, size + i, at))
  const rows = entries.map((e) => {
    const bytes = canonicalBytes(e)
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
      entry: Buffer.from(bytes).toString('hex'),
      leaf_hash: Buffer.from(leafHash(bytes)).toString('hex')
    }
  })
  // One statement for the whole batch, the same on PostgreSQL and PGlite.
  await tx.query(`insert into audit_entries
      (index, at, kind, actor_sub, actor_role, caller, question, purpose, case_id, answer, code, subject,
       verification, snapshot, entry, leaf_hash)
    select index, at, kind, actor_sub, actor_role, caller, question, purpose, case_id, answer, code, subject,
       verification, snapshot, decode(entry, 'hex'), decode(leaf_hash, 'hex')
    from jsonb_to_recordset($1::jsonb) as x(index bigint, at timestamptz, kind text, actor_sub text,
       actor_role text, caller text, question text, purpose text, case_id text, answer text, code text,
       subject text, verification text, snapshot bigint, entry text, leaf_hash text)`, [JSON.stringify(rows)])
  return entries
}

export class AuditWriter {
  readonly #database: Database
  readonly #maxBatch: number
  #queue: Pending[] = []
  #flushing: Promise<void> | null = null
  #closed = false
  /** Number of batches that failed (exported as a metric). */
  failures = 0
  batches = 0

  constructor (database: Database, opts: WriterOptions = {}) {
    this.#database = database
    this.#maxBatch = opts.maxBatch ?? 1000
  }

  /** Appends entries (group-committed); resolves with their indices once committed. */
  append (inputs: EntryInput[]): Promise<number[]> {
    if (this.#closed) return Promise.reject(new ShifouError('AUDIT_UNAVAILABLE', 'The audit log is shutting down'))
    return new Promise((resolve, reject) => {
      this.#queue.push({ inputs, resolve, reject })
      if (this.#flushing === null) this.#flushing = this.#flush()
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
        const entries = await this.#database.transaction(async (tx) =>
          await writeEntries(tx, batch.flatMap((p) => p.inputs)))
        this.batches++
        let i = 0
        for (const p of batch) {
          p.resolve(entries.slice(i, i + p.inputs.length).map((e) => e.index))
          i += p.inputs.length
        }
      } catch {
        this.failures++
        const err = new ShifouError('AUDIT_UNAVAILABLE', 'The audit log cannot be written; no answer was given')
        for (const p of batch) p.reject(err)
      }
    }
    this.#flushing = null
  }

  /** Waits until every entry handed in so far is committed or refused. */
  async drain (): Promise<void> {
    while (this.#flushing !== null) await this.#flushing
  }

  async close (): Promise<void> {
    this.#closed = true
    await this.drain()
  }
}
