/**
 * Stage 4: the client's limits (design §10; 429, audited; 503 when the limiter cannot be
 * consulted), counted on the canonical ID so that decorated forms of one ID are one subject, and
 * before any record is read. Admission reads no record; the next stage does, through the
 * connectors (or, for a connector of kind agent, its department's agent).
 */
import { isShifouError } from '../../errors.ts'
import { masterKeyRef } from '../../keys/keyring.ts'
import type { ActiveSnapshot, RegistryState } from '../../registry/cache.ts'
import { Refusal, type Admitted, type Checked, type Lookup, type VerifyDeps } from '../types.ts'

export async function admit (v: Checked, deps: VerifyDeps): Promise<Admitted | Refusal> {
  const { keyring } = deps
  const now = new Date()
  const subjectTag = Buffer.from(v.subject.pseudonym, 'hex')
  const snapshots = snapshotsFor(v.state, v.asked.map((a) => a.question.connectorId), keyring.currentVersion)
  const lookups: Lookup[] = [...snapshots ?? []].map(([connectorId, snap]) => ({
    connectorId,
    kind: v.state.connectors.get(connectorId)!.kind,
    snapshotId: snap.id,
    maxRecords: v.state.connectors.get(connectorId)!.maxRecordsPerSubject,
    subjectHash: keyring.connector(connectorId, snap.key).subjectHash(v.subject.id),
    keyVersion: snap.keyVersion,
    ...(snap.agent === undefined ? {} : { agent: snap.agent })
  }))
  const client = { id: v.client.id, organisation: v.client.organisation, autoSuspend: v.client.autoSuspend }
  const prefix = keyring.audit.prefixTag(v.subject.id)
  let decision
  try {
    decision = await deps.admission.check({
      client: client.id,
      organisation: client.organisation,
      quotas: v.client.quotas,
      subject: subjectTag,
      prefix,
      caseId: v.request.caseId,
      name: v.subject.name === null ? null : keyring.audit.nameTag(v.subject.id, v.subject.name),
      now
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
  const observe = decision.fresh ? { client, subject: subjectTag, prefix, now } : null
  return { ...v, snapshots, lookups, observe }
}

/** The active snapshot of each connector, or null when one of them has none. */
function snapshotsFor (state: RegistryState, connectorIds: readonly string[], keyVersion: number):
Map<string, ActiveSnapshot> | null {
  const out = new Map<string, ActiveSnapshot>()
  for (const id of connectorIds) {
    const connector = state.connectors.get(id)
    if (connector === undefined || !connector.active) return null
    // An agent's connector is asked live, hashed under the current key version (the one its key was
    // exported with); its snapshot is the agent's, known from its answer.
    if (connector.agent !== null) {
      out.set(connector.id, { id: 0, asOf: '', keyVersion, key: masterKeyRef(keyVersion), agent: connector.agent })
      continue
    }
    if (connector.snapshot === null) return null
    out.set(connector.id, connector.snapshot)
  }
  return out
}
