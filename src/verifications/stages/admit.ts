/**
 * Stage 4: the client's limits (design §10; 429, audited; 503 when the limiter cannot be
 * consulted), counted on the canonical ID so that decorated forms of one ID are one subject, and
 * before any record is read. When no check remains after the limits (every connector asked has an
 * active snapshot and no consent is to be consumed), the limiter reads the records of an admitted
 * request in its own statement: one round trip instead of two.
 */
import { isShifouError } from '../../errors.ts'
import type { ActiveSnapshot, RegistryState } from '../../registry/cache.ts'
import type { StoredRecord } from '../../matchers/predicate/index.ts'
import { Refusal, type Admitted, type Checked, type Lookup, type VerifyDeps } from '../types.ts'

export async function admit (v: Checked, deps: VerifyDeps): Promise<Admitted | Refusal> {
  const { keyring } = deps
  const now = new Date()
  const subjectTag = Buffer.from(v.subject.pseudonym, 'hex')
  const snapshots = snapshotsFor(v.state, v.asked.map((a) => a.question.connectorId))
  const lookups: Lookup[] = [...snapshots ?? []].map(([connectorId, snap]) => ({
    connectorId,
    snapshotId: snap.id,
    subjectHash: keyring.connector(connectorId, snap.keyVersion).subjectHash(v.subject.id)
  }))
  const readWithLimits = snapshots !== null && v.consent?.ok !== true
  // The detectors are told whether the subject is known to any connector: the lookups say when
  // they find it, the other active snapshots are probed when they do not.
  const looked = new Set(readWithLimits ? lookups.map((l) => l.snapshotId) : [])
  const probes: Lookup[] = []
  for (const c of v.state.connectors.values()) {
    if (!c.active || c.snapshot === null || looked.has(c.snapshot.id)) continue
    const subjectHash = keyring.connector(c.id, c.snapshot.keyVersion).subjectHash(v.subject.id)
    probes.push({ connectorId: c.id, snapshotId: c.snapshot.id, subjectHash })
  }
  const client = { id: v.client.id, organisation: v.client.organisation, autoSuspend: v.client.autoSuspend }
  let decision
  try {
    decision = await deps.admission.check({
      client: client.id,
      organisation: client.organisation,
      quotas: v.client.quotas,
      subject: subjectTag,
      prefix: keyring.audit.prefixTag(v.subject.id),
      caseId: v.request.caseId,
      name: v.subject.name === null ? null : keyring.audit.nameTag(v.subject.id, v.subject.name),
      now,
      lookups: readWithLimits ? lookups : [],
      probes
    }, client)
  } catch (err) {
    const code = isShifouError(err) ? err.code : 'QUOTA_UNAVAILABLE'
    return new Refusal(code, 'The limiter cannot be consulted; the request is refused')
  }
  const { over } = decision
  if (over !== null) {
    deps.admission.refused(client, over.limit, subjectTag, now)
    return new Refusal('QUOTA_EXCEEDED',
      `This client's limit ${over.limit} is reached; ` +
      `retry after ${over.retryAfter} s or ask the platform operator for more`,
      { extra: { limit: over.limit, retryAfter: over.retryAfter } })
  }
  const records = decision.records
  const prefetched = records === null
    ? null
    : new Map<string, StoredRecord[]>(lookups.map((l, i) => [l.connectorId, records[i]!]))
  return { ...v, snapshots, lookups, prefetched }
}

/** The active snapshot of each connector, or null when one of them has none. */
function snapshotsFor (state: RegistryState, connectorIds: readonly string[]): Map<string, ActiveSnapshot> | null {
  const out = new Map<string, ActiveSnapshot>()
  for (const id of connectorIds) {
    const connector = state.connectors.get(id)
    if (connector === undefined || !connector.active || connector.snapshot === null) return null
    out.set(connector.id, connector.snapshot)
  }
  return out
}
