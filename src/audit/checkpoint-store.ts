/**
 * Signed checkpoints of the audit log (design §8): a C2SP tlog-checkpoint note over the log's
 * size and root, signed with the service's Ed25519 checkpoint key, stored and served. Published at
 * least every N entries or T seconds, so anyone who keeps a copy elsewhere can later prove that
 * today's log extends the one they saw.
 */
import type { Executor } from '../db/client.ts'
import { signCheckpoint, type CheckpointSigner } from './checkpoint-note.ts'
import type { CompactRange } from './compact-range.ts'
import { logSize, storedRoot } from './tree-store.ts'

export interface CheckpointConfig {
  signer: CheckpointSigner
  /** The log's identity, the first line of every checkpoint (also the signature's key name). */
  origin: string
  everyEntries: number
  everyMs: number
}

export interface StoredCheckpoint { size: number, root: Uint8Array, note: string, createdAt: string }

/** Writes a checkpoint of the current log unless the latest covers it; returns it, or null. */
export async function writeCheckpoint (
  db: Executor,
  config: CheckpointConfig,
  cached: CompactRange | null
): Promise<{ size: number, note: string } | null> {
  // Only committed entries are counted, and the nodes of a committed size are all committed: the
  // root needs no lock against concurrent appends.
  const size = await logSize(db)
  if (size === 0) return null
  const latest = await latestCheckpoint(db)
  if (latest !== null && latest.size >= size) return null
  const root = cached !== null && cached.size === size ? cached.root() : await storedRoot(db, size)
  const note = signCheckpoint({ origin: config.origin, size, root }, config.signer)
  await db.query('insert into audit_checkpoints (size, root, note) values ($1, $2, $3) on conflict (size) do nothing',
    [size, Buffer.from(root), note])
  return { size, note }
}

const SELECT = `select size, root, note,
    to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
  from audit_checkpoints`

interface CheckpointRow { size: number, root: Uint8Array, note: string, created_at: string }

function view (r: CheckpointRow): StoredCheckpoint {
  return { size: Number(r.size), root: new Uint8Array(r.root), note: r.note, createdAt: r.created_at }
}

export async function latestCheckpoint (db: Executor): Promise<StoredCheckpoint | null> {
  const [row] = await db.query<CheckpointRow>(`${SELECT} order by size desc limit 1`)
  return row === undefined ? null : view(row)
}

/** The smallest checkpoint at least `size` (to prove an entry against a signed head). */
export async function checkpointCovering (db: Executor, size: number): Promise<StoredCheckpoint | null> {
  const [row] = await db.query<CheckpointRow>(`${SELECT} where size >= $1 order by size limit 1`, [size])
  return row === undefined ? null : view(row)
}

export async function allCheckpoints (db: Executor): Promise<StoredCheckpoint[]> {
  return (await db.query<CheckpointRow>(`${SELECT} order by size`)).map(view)
}
