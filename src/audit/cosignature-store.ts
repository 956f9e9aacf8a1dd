/**
 * Witnesses' cosignatures of the log's checkpoints (design §14.5), as stored in
 * `audit_cosignatures` (append-only): served with the checkpoint they cosign, and read by
 * `shifou audit verify --witness VKEY` as the latest checkpoint a witness vouched for.
 */
import type { Executor } from '../db/client.ts'

export interface StoredCosignature {
  size: number
  /** The witness's key name. */
  witness: string
  /** The key ID, hex. */
  keyId: string
  root: Uint8Array
  /** The signature line, without its newline. */
  signature: string
  /** RFC 3339, from the cosignature's own timestamp. */
  cosignedAt: string
}

interface Row {
  size: number
  witness: string
  key_id: string
  root: Uint8Array
  signature: string
  cosigned_at: string
}

const SELECT = `select size, witness, key_id, root, signature,
  to_char(cosigned_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as cosigned_at from audit_cosignatures`

function view (r: Row): StoredCosignature {
  return {
    size: Number(r.size),
    witness: r.witness,
    keyId: r.key_id,
    root: new Uint8Array(r.root),
    signature: r.signature,
    cosignedAt: r.cosigned_at
  }
}

/** Stores a cosignature; `cosignedAt` is its timestamp in seconds. */
export async function storeCosignature (
  db: Executor, c: Omit<StoredCosignature, 'cosignedAt'> & { cosignedAt: number }
): Promise<void> {
  await db.query(`insert into audit_cosignatures (size, witness, key_id, root, signature, cosigned_at)
    values ($1, $2, $3, $4, $5, to_timestamp($6)) on conflict do nothing`,
  [c.size, c.witness, c.keyId, Buffer.from(c.root), c.signature, c.cosignedAt])
}

/** The cosignatures of the checkpoint at `size`, by witness name. */
export async function cosignaturesAt (db: Executor, size: number): Promise<StoredCosignature[]> {
  return (await db.query<Row>(`${SELECT} where size = $1 order by witness, key_id`, [size])).map(view)
}

/** One witness key's cosignatures, largest size first. */
export async function cosignaturesBy (
  db: Executor, witness: string, keyId: string, limit = 1
): Promise<StoredCosignature[]> {
  const rows = await db.query<Row>(`${SELECT} where witness = $1 and key_id = $2 order by size desc limit $3`,
    [witness, keyId, limit])
  return rows.map(view)
}
