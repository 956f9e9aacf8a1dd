/**
 * Key rotation per connector (design §3 "Key versions and rotation", §14.2): a rotation makes the
 * connector's next key version, derived from the newest master key with the version in its HKDF
 * info (src/keys/keyring.ts). The next load hashes under it; every snapshot keeps answering under
 * the version it was loaded with (the registry reads which), so answers are the same before and
 * after a rotation and a reload. The rotation and its audit entry commit together.
 */
import type { Database, Executor } from '../db/client.ts'
import { masterKeyRef, type KeyRef, type Keyring } from '../keys/keyring.ts'
import { writeEntries } from '../audit/writer.ts'
import { ShifouError } from '../errors.ts'
import { actorOf, type Principal } from '../principal.ts'

/** The key version a new load of the connector hashes under. */
export async function currentKey (db: Executor, keyring: Pick<Keyring, 'currentVersion'>,
  connector: { id: string, keyVersion: number | null }):
Promise<KeyRef> {
  // Never rotated: the newest master key version, as before rotation existed.
  if (connector.keyVersion === null) return masterKeyRef(keyring.currentVersion)
  const [row] = await db.query<{ master_version: number }>(
    'select master_version from connector_keys where connector_id = $1 and version = $2',
    [connector.id, connector.keyVersion])
  if (row === undefined) throw new Error('connector key version without its record')
  return { version: connector.keyVersion, master: Number(row.master_version), tagged: true }
}

/**
 * Makes the connector's next key version, above every version its snapshots or earlier rotations
 * used and above every master key version (so it is never read as one), under the newest master
 * key. Returns the new version.
 */
export async function rotateConnectorKey (database: Database, keyring: Keyring, actor: Principal,
  connectorId: string): Promise<{ connector: string, keyVersion: number }> {
  return await database.transaction(async (tx) => {
    const [c] = await tx.query<{ key_version: number | null, active: boolean }>(
      'select key_version, active from connectors where id = $1 for update', [connectorId])
    if (c === undefined || !c.active) throw new ShifouError('NOT_FOUND', 'No such connector')
    const [used] = await tx.query<{ v: number }>(
      `select greatest(
         (select max(key_version) from snapshots where connector_id = $1),
         (select max(version) from connector_keys where connector_id = $1), $2::int)::int as v`,
      [connectorId, Math.max(keyring.currentVersion, c.key_version ?? 0)])
    const version = Number(used!.v) + 1
    if (version > 32767) throw new ShifouError('CONFLICT', 'This connector has no key versions left')
    await tx.query(`insert into connector_keys (connector_id, version, master_version, created_by)
      values ($1, $2, $3, $4)`, [connectorId, version, keyring.currentVersion, actor.sub])
    await tx.query('update connectors set key_version = $2, updated_at = now() where id = $1', [connectorId, version])
    await writeEntries(tx, [{
      kind: 'change',
      actor: actorOf(actor),
      code: 'ROTATE',
      keyVersion: version,
      detail: { action: 'rotate', resource: 'connector-key', id: connectorId, keyVersion: version,
        previous: c.key_version ?? null }
    }])
    return { connector: connectorId, keyVersion: version }
  })
}
