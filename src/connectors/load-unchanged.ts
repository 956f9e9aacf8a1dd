/**
 * A sync that read the data of the active snapshot (design §14.2 `{unchanged: true}`). A pull
 * source digests its rows as they stream (src/connectors/pull/sync.ts: SHA-256 over the
 * connector's definition, its key version and the rows' bytes); the digest is kept with the
 * attempt, and once the rows are read it is compared with the active snapshot's (under the same key
 * version: after a key rotation the same rows load again, hashed under the new key). Equal: the
 * attempt ends `unchanged` before its table is indexed or activated, the table is dropped, and the
 * active snapshot stays, so an unchanged sync costs the transfer and the conversion, not the index
 * build, the activation or the caches of the processes answering.
 */
import { writeEntries } from '../audit/writer.ts'
import { actorOf } from '../principal.ts'
import { dropPartition } from './records.ts'
import type { Counts, LoadContext } from './load-convert.ts'

/**
 * Keeps the attempt's digest; when the active snapshot has the same, ends the attempt
 * `unchanged` (its record and audit entry) and returns the active snapshot's id, else null.
 */
export async function endIfUnchanged (ctx: LoadContext, digest: Buffer, counts: Counts): Promise<number | null> {
  const { database, connector, snapshotId } = ctx
  await database.query('update snapshots set digest = $2 where id = $1', [snapshotId, digest])
  const [active] = await database.query<{ id: number }>(`select s.id from connectors c
    join snapshots s on s.id = c.active_snapshot_id
    where c.id = $1 and s.digest = $2 and s.key_version = $3`, [connector.id, digest, ctx.keyVersion])
  if (active === undefined) return null
  const activeId = Number(active.id)
  await dropPartition(database.maintenance, snapshotId, false)
  await database.transaction(async (tx) => {
    await tx.query(`update snapshots set status = 'unchanged', rows = $2, rejected_count = $3,
        rejected = $4::jsonb, rejected_by_code = $5::jsonb, unlinkable_rows = $6, ignored_columns = $7::jsonb,
        finished_at = now(), heartbeat_at = now()
      where id = $1 and status = 'loading'`,
    [snapshotId, counts.rows, counts.rejectedCount, JSON.stringify(counts.rejected),
      JSON.stringify(counts.rejectedByCode), counts.unlinkableRows, JSON.stringify(counts.ignoredColumns)])
    await writeEntries(tx, [{
      kind: 'load',
      actor: actorOf(ctx.actor),
      snapshot: snapshotId,
      asOf: ctx.asOf,
      keyVersion: ctx.keyVersion,
      code: 'UNCHANGED',
      detail: { connector: connector.id, source: ctx.source, rows: counts.rows, active: activeId }
    }])
  })
  return activeId
}
