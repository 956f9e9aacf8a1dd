/**
 * Stage 5: every connector asked has an active snapshot (503, audited), no older than the
 * connector's `maxAgeDays` (503 CONNECTOR_STALE, audited); a consent is single-use,
 * so its jti is recorded last, once every other check has passed (409, audited); then the
 * subject's records are read through the record source (src/connectors/records.ts) — one lookup
 * per connector, whatever the number of its questions; a connector of kind agent is asked of its
 * department's agent, and one that cannot answer refuses the request (503 CONNECTOR_UNAVAILABLE).
 * A subject that a connector asked holds as unreadable (behind a rejected row, design §14.1) is
 * refused whole (409, audited): an answer from the rest of their rows, or as unknown, may be false.
 *
 * A request the limiter found fresh is then observed for the detectors, off the answer's path,
 * whether its records were read or it was refused before: the lookups tell whether a connector
 * asked knows the subject, and the other active snapshots are probed when they do not.
 */
import { unreadableQuestion, type SubjectRecords } from '../../connectors/records.ts'
import { ageDays, isStale } from '../../connectors/health.ts'
import type { ActiveSnapshot } from '../../registry/cache.ts'
import { isShifouError } from '../../errors.ts'
import { Refusal, type Admitted, type Lookup, type VerifyDeps, type WithRecords } from '../types.ts'

export async function readRecords (v: Admitted, deps: VerifyDeps): Promise<WithRecords | Refusal> {
  const read = await readAdmitted(v, deps)
  if (v.observe !== null) observe(v, deps, read instanceof Refusal ? null : read.records)
  return read
}

async function readAdmitted (v: Admitted, deps: VerifyDeps): Promise<WithRecords | Refusal> {
  const { snapshots } = v
  if (snapshots === null) {
    return new Refusal('NO_ACTIVE_SNAPSHOT', 'A connector of these questions has no active snapshot')
  }
  const stale = staleRefusal(v, snapshots)
  if (stale !== null) return stale
  if (v.consent?.ok === true && !await deps.consent.consume(v.consent.consent)) {
    return new Refusal('CONSENT_REPLAYED', 'This consent has been used already')
  }
  let read: Array<{ records: SubjectRecords, snapshot: ActiveSnapshot }>
  try {
    read = await Promise.all(v.lookups.map(async (l) => await lookup(v, l, snapshots.get(l.connectorId)!, deps)))
  } catch (err) {
    if (isShifouError(err) && err.code === 'CONNECTOR_UNAVAILABLE') return new Refusal(err.code, err.detail)
    throw err
  }
  const records = new Map<string, SubjectRecords>(v.lookups.map((l, i) => [l.connectorId, read[i]!.records]))
  const answering = new Map<string, ActiveSnapshot>(v.lookups.map((l, i) => [l.connectorId, read[i]!.snapshot]))
  const staleAgent = staleRefusal(v, answering)
  if (staleAgent !== null) return staleAgent
  const asked = v.asked.map((a) => ({ id: a.question.id, connectorId: a.question.connectorId }))
  const unreadable = unreadableQuestion(records, asked)
  if (unreadable !== null) {
    return new Refusal('SUBJECT_DATA_UNREADABLE', `The data about this subject behind question ${unreadable} ` +
      'could not be read when it was loaded (a rejected row); no answer is given until the department loads it ' +
      'correctly. Check the subject in person, or ask the department.', { question: unreadable })
  }
  return { ...v, snapshots: answering, records }
}

/**
 * One connector's records of the subject, through its kind's record source. A source with
 * snapshots of its own (a department's agent) names the one it answered from: that snapshot and
 * its date are what the answer states.
 */
async function lookup (v: Admitted, l: Lookup, snapshot: ActiveSnapshot, deps: VerifyDeps):
Promise<{ records: SubjectRecords, snapshot: ActiveSnapshot }> {
  const records = await deps.records.lookup({
    ...l, asked: { verification: v.id, caller: v.client.id, purpose: v.request.purpose }
  })
  if (records.from === undefined) return { records, snapshot }
  return { records, snapshot: { ...snapshot, id: records.from.snapshot, asOf: records.from.asOf } }
}

/** The detectors' observation of a fresh request: `records` null when none was read. */
function observe (v: Admitted, deps: VerifyDeps, records: ReadonlyMap<string, SubjectRecords> | null): void {
  const o = v.observe!
  deps.admission.observe({
    client: o.client.id,
    organisation: o.client.organisation,
    subject: o.subject,
    prefix: o.prefix,
    now: o.now
  }, known(v, deps, records), o.client)
}

/**
 * Whether any connector holds rows about the subject (a marker counts): the lookups made for the
 * request say so when they found it; otherwise the other active snapshots are asked.
 */
async function known (v: Admitted, deps: VerifyDeps, records: ReadonlyMap<string, SubjectRecords> | null):
Promise<boolean> {
  const found = (r: SubjectRecords): boolean => r.records.length > 0 || r.unreadable
  if (records !== null && [...records.values()].some(found)) return true
  const read = new Set(records === null ? [] : v.lookups.map((l) => l.snapshotId))
  const probes: Array<Promise<SubjectRecords>> = []
  for (const c of v.state.connectors.values()) {
    if (!c.active || c.snapshot === null || read.has(c.snapshot.id)) continue
    const subjectHash = deps.keyring.connector(c.id, c.snapshot.key).subjectHash(v.subject.id)
    probes.push(deps.records.lookup({
      connectorId: c.id, kind: c.kind, snapshotId: c.snapshot.id, maxRecords: c.maxRecordsPerSubject, subjectHash
    }))
  }
  return (await Promise.all(probes)).some(found)
}

/**
 * The first question asked whose connector's active snapshot is older than the connector allows
 * (design §14.2 "Freshness"), or null: then the whole request is refused (503, audited).
 */
function staleRefusal (v: Admitted, snapshots: ReadonlyMap<string, ActiveSnapshot>): Refusal | null {
  const stale = staleQuestion(v, snapshots)
  if (stale === null) return null
  return new Refusal('CONNECTOR_STALE', `The data behind question ${stale.question} is ${stale.age} days old, ` +
    `past the ${stale.max} days its department allows; no answer is given from it until the department loads ` +
    'a fresh snapshot.', { question: stale.question })
}

function staleQuestion (v: Admitted, snapshots: ReadonlyMap<string, ActiveSnapshot>):
{ question: string, age: number, max: number } | null {
  const now = new Date()
  for (const { question } of v.asked) {
    const max = v.state.connectors.get(question.connectorId)?.maxAgeDays ?? null
    const snap = snapshots.get(question.connectorId)
    // An agent's snapshot date is known once it has answered (checked then).
    if (max === null || snap === undefined || snap.asOf === '' || !isStale(snap.asOf, max, now)) continue
    return { question: question.id, age: ageDays(snap.asOf, now), max }
  }
  return null
}
