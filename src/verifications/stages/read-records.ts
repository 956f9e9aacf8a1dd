/**
 * Stage 5: every connector asked has an active snapshot (503, audited); a consent is single-use,
 * so its jti is recorded last, once every other check has passed (409, audited); then the
 * subject's records are read — one lookup per connector, whatever the number of its questions —
 * unless the limiter's statement read them already. A subject that a connector asked holds as
 * unreadable (behind a rejected row, design §14.1) is refused whole (409, audited): an answer
 * from the rest of their rows, or as unknown, may be false.
 */
import { unreadableQuestion, type SubjectRecords } from '../../connectors/records.ts'
import { Refusal, type Admitted, type VerifyDeps, type WithRecords } from '../types.ts'

export async function readRecords (v: Admitted, deps: VerifyDeps): Promise<WithRecords | Refusal> {
  const { snapshots } = v
  if (snapshots === null) {
    return new Refusal('NO_ACTIVE_SNAPSHOT', 'A connector of these questions has no active snapshot')
  }
  if (v.consent?.ok === true && !await deps.consent.consume(v.consent.consent)) {
    return new Refusal('CONSENT_REPLAYED', 'This consent has been used already')
  }
  let records: Map<string, SubjectRecords>
  if (v.prefetched !== null) {
    records = v.prefetched
  } else {
    const read = await Promise.all(v.lookups.map(async (l) => await deps.records.lookup(l.snapshotId, l.subjectHash)))
    records = new Map(v.lookups.map((l, i) => [l.connectorId, read[i]!]))
  }
  const asked = v.asked.map((a) => ({ id: a.question.id, connectorId: a.question.connectorId }))
  const unreadable = unreadableQuestion(records, asked)
  if (unreadable !== null) {
    return new Refusal('SUBJECT_DATA_UNREADABLE', `The data about this subject behind question ${unreadable} ` +
      'could not be read when it was loaded (a rejected row); no answer is given until the department loads it ' +
      'correctly. Check the subject in person, or ask the department.', { question: unreadable })
  }
  return { ...v, snapshots, records }
}
