/**
 * Answering a verification (design §5 "Caller", §3, §8) as a chain of small stages:
 *
 *   parseSubject → authorise → checkQuestions → admit → readRecords → evaluate → record
 *
 * A request is answered whole or refused whole. Every check passes before any record is read;
 * each stage returns what it established or a `Refusal`, and this is the one place where a refusal
 * becomes an audit entry (a refusal of a well-formed request: 403, 409, 429, 503). Each answer is
 * an audit entry committed before the answer is returned.
 */
import { ShifouError } from '../errors.ts'
import type { Principal } from '../principal.ts'
import { parseSubject } from './stages/parse-subject.ts'
import { authorise } from './stages/authorise.ts'
import { checkQuestions } from './stages/check-questions.ts'
import { admit } from './stages/admit.ts'
import { readRecords } from './stages/read-records.ts'
import { evaluate } from './stages/evaluate.ts'
import { record } from './stages/record.ts'
import { Refusal, type Outcome, type Parsed, type VerificationRequest, type VerifyDeps } from './types.ts'

export async function verify (deps: VerifyDeps, principal: Principal, request: VerificationRequest): Promise<Outcome> {
  const parsed = await parseSubject(request, principal, deps)
  if (parsed instanceof Refusal) return { ok: false, refusal: parsed }
  const authorised = authorise(parsed, deps)
  if (authorised instanceof Refusal) return await refuse(deps, parsed, authorised)
  const checked = checkQuestions(authorised)
  if (checked instanceof Refusal) return await refuse(deps, parsed, checked)
  const admitted = await admit(checked, deps)
  if (admitted instanceof Refusal) return await refuse(deps, parsed, admitted)
  const withRecords = await readRecords(admitted, deps)
  if (withRecords instanceof Refusal) return await refuse(deps, parsed, withRecords)
  return { ok: true, result: await record(parsed, evaluate(withRecords, deps), deps) }
}

/**
 * The refusal's audit entry, committed before the refusal is returned; if it cannot be written,
 * the caller is told the log is unavailable instead. A malformed request (400) is not an entry.
 */
async function refuse (deps: VerifyDeps, v: Parsed, refusal: Refusal): Promise<Outcome> {
  if (!refusal.audited) return { ok: false, refusal }
  try {
    await deps.audit.commit([{
      kind: 'refusal',
      ...v.base,
      ...(refusal.question === undefined ? {} : { question: refusal.question }),
      code: refusal.code,
      ...(refusal.extra === undefined ? {} : { detail: refusal.extra })
    }])
  } catch (err) {
    const failed = err instanceof ShifouError
      ? err
      : new ShifouError('AUDIT_UNAVAILABLE', 'The audit log cannot be written')
    return { ok: false, refusal: new Refusal(failed.code, failed.detail) }
  }
  return { ok: false, refusal }
}

/** The refusal as the error the API answers with. */
export function refusalError (refusal: Refusal): ShifouError {
  const extra = refusal.extra === undefined && refusal.hints === undefined
    ? undefined
    : { ...refusal.hints, ...refusal.extra }
  return new ShifouError(refusal.code, refusal.detail, extra)
}
