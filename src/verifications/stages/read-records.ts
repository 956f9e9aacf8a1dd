/**
 * Stage 5: every connector asked has an active snapshot (503, audited); a consent is single-use,
 * so its jti is recorded last, once every other check has passed (409, audited); then the
 * subject's records are read — one lookup per connector, whatever the number of its questions —
 * unless the limiter's statement read them already.
 */
import { Refusal, type Admitted, type VerifyDeps, type WithRecords } from '../types.ts'

export async function readRecords (v: Admitted, deps: VerifyDeps): Promise<WithRecords | Refusal> {
  const { snapshots } = v
  if (snapshots === null) {
    return new Refusal('NO_ACTIVE_SNAPSHOT', 'A connector of these questions has no active snapshot')
  }
  if (v.consent?.ok === true && !await deps.consent.consume(v.consent.consent)) {
    return new Refusal('CONSENT_REPLAYED', 'This consent has been used already')
  }
  if (v.prefetched !== null) return { ...v, snapshots, records: v.prefetched }
  const read = await Promise.all(v.lookups.map(async (l) => await deps.records.lookup(l.snapshotId, l.subjectHash)))
  return { ...v, snapshots, records: new Map(v.lookups.map((l, i) => [l.connectorId, read[i]!])) }
}
