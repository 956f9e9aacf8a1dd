/**
 * Stage 6: each question's predicate over the subject's records in its connector (design §6).
 * Pure: no I/O. A `name` or `hashed` field holds keyed hashes bound to the subject, so a value
 * from the request is hashed the same way before it is compared.
 */
import type { EvalContext } from '../../matchers/predicate/index.ts'
import { normaliseHashedValue } from '../../connectors/values.ts'
import type { VerifyDeps, Evaluated, WithRecords } from '../types.ts'

export function evaluate (v: WithRecords, deps: Pick<VerifyDeps, 'keyring'>): Evaluated[] {
  return v.asked.map(({ question, params }) => {
    const snapshot = v.snapshots.get(question.connectorId)!
    const keys = deps.keyring.connector(question.connectorId, snapshot.key)
    const fields = v.state.connectors.get(question.connectorId)!.fields
    const ctx: EvalContext = {
      params,
      subjectName: v.subject.name,
      // Names arrive normalised (cn-name-v1); a hashed field's value gets the loader's normal form.
      hashField: (field, value) =>
        keys.fieldHash(field, v.subject.id, fields[field] === 'hashed' ? normaliseHashedValue(value) : value)
    }
    const answer = question.predicate.evaluate(v.records.get(question.connectorId)!.records, ctx) ? 'yes' : 'no'
    return { question, params, answer, snapshot }
  })
}
