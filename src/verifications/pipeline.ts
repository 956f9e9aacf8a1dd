/**
 * Answering a verification (design §5 "Caller", §3, §8) as a chain of small stages:
 *
 *   parseSubject → authorise → checkQuestions → admit → readRecords → evaluate → record
 *
 * A request is answered whole or refused whole. Every check passes before any record is read;
 * each stage returns what it established or a `Refusal`, and this is the one place where a refusal
 * becomes an audit entry (a refusal of a well-formed request: 403, 409, 429, 503). Each answer is
 * an audit entry committed before the answer is returned.
 *
 * `decide` runs the stages and `settle` commits what they decided: the entries of several
 * verifications (a batch, design §14.6) commit in one transaction, with a companion write that must
 * commit with them (an idempotency key's record), and only then are answers returned.
 */
import { ShifouError } from '../errors.ts'
import { isUnavailable } from '../db/unavailable.ts'
import type { Principal } from '../principal.ts'
import type { Entry, EntryInput } from '../audit/entry.ts'
import type { Companion } from '../audit/writer.ts'
import { parseSubject } from './stages/parse-subject.ts'
import { authorise } from './stages/authorise.ts'
import { checkQuestions } from './stages/check-questions.ts'
import { admit } from './stages/admit.ts'
import { readRecords } from './stages/read-records.ts'
import { evaluate } from './stages/evaluate.ts'
import { answerEntries, answersOf, receiptsOf, type Receipts } from './stages/record.ts'
import {
  Refusal, type Evaluated, type Outcome, type Parsed, type VerificationRequest, type VerifyDeps
} from './types.ts'

/** What the stages decided about one verification, before anything is written. */
export type Decision =
  | { ok: true, parsed: Parsed, evaluated: Evaluated[] }
  | { ok: false, parsed: Parsed | null, refusal: Refusal }

export async function decide (
  deps: VerifyDeps, principal: Principal, request: VerificationRequest
): Promise<Decision> {
  const parsed = await parseSubject(request, principal, deps)
  if (parsed instanceof Refusal) return { ok: false, parsed: null, refusal: parsed }
  try {
    return await decideParsed(deps, parsed)
  } catch (err) {
    // A source or database that fails a stage refuses this verification (audited with its own
    // fields), not its neighbours in a batch; anything else is a fault and is thrown.
    if (err instanceof ShifouError) return { ok: false, parsed, refusal: new Refusal(err.code, err.detail) }
    if (isUnavailable(err)) {
      const refusal = new Refusal('DATABASE_UNAVAILABLE', 'The database is unavailable or busy; retry later')
      return { ok: false, parsed, refusal }
    }
    throw err
  }
}

async function decideParsed (deps: VerifyDeps, parsed: Parsed): Promise<Decision> {
  const refused = (refusal: Refusal): Decision => ({ ok: false, parsed, refusal })
  const authorised = authorise(parsed, deps)
  if (authorised instanceof Refusal) return refused(authorised)
  const checked = checkQuestions(authorised)
  if (checked instanceof Refusal) return refused(checked)
  const admitted = await admit(checked, deps)
  if (admitted instanceof Refusal) return refused(admitted)
  const withRecords = await readRecords(admitted, deps)
  if (withRecords instanceof Refusal) return refused(withRecords)
  return { ok: true, parsed, evaluated: evaluate(withRecords, deps) }
}

/** The audit entry of a refusal of a well-formed request; a malformed request (400) is none. */
function refusalEntries (d: Decision & { ok: false }): EntryInput[] {
  const { parsed, refusal } = d
  if (parsed === null || !refusal.audited) return []
  return [{
    kind: 'refusal',
    ...parsed.base,
    ...(refusal.question === undefined ? {} : { question: refusal.question }),
    code: refusal.code,
    ...(refusal.extra === undefined ? {} : { detail: refusal.extra })
  }]
}

/**
 * Commits the entries of these decisions — answers and refusals — in one transaction, with the
 * companion write when `companionFor` gives one, and returns their outcomes in order. Nothing is
 * returned before the entries commit; if they cannot be, this throws and nothing was answered.
 */
export async function settle (
  deps: VerifyDeps,
  decisions: readonly Decision[],
  companionFor?: (decisions: readonly Decision[]) => Companion | null
): Promise<Outcome[]> {
  const signer = decisions.some((d) => d.ok) ? await deps.receipts.signer() : null
  const inputs: EntryInput[] = []
  const starts = decisions.map((d) => {
    const at = inputs.length
    inputs.push(...(d.ok ? answerEntries(d.parsed, d.evaluated, signer) : refusalEntries(d)))
    return at
  })
  const companion = companionFor?.(decisions) ?? null
  // The receipts are signed while the entries commit (src/audit/writer.ts, `Numbered`), and leave
  // with the answers only once the entries have committed.
  const early: { receipts: Receipts | null } = { receipts: null }
  const sign = signer === null
    ? undefined
    : (numbered: Entry[]) => { early.receipts = receiptsOf(decisions, starts, numbered, signer, deps) }
  const written = inputs.length === 0 ? [] : await deps.audit.commit(inputs, companion ?? undefined, sign)
  return await Promise.all(decisions.map(async (d, i): Promise<Outcome> => d.ok
    ? {
        ok: true,
        result: await answersOf(d.parsed, d.evaluated, written.slice(starts[i]), signer, deps, early.receipts)
      }
    : { ok: false, refusal: d.refusal }))
}

/** One verification, decided and settled. */
export async function verify (
  deps: VerifyDeps,
  principal: Principal,
  request: VerificationRequest,
  companionFor?: (decisions: readonly Decision[]) => Companion | null
): Promise<Outcome> {
  const decision = await decide(deps, principal, request)
  try {
    return (await settle(deps, [decision], companionFor))[0]!
  } catch (err) {
    // An answer that cannot be logged is not given (the error handler answers 503). A refusal whose
    // entry cannot be written is answered as the log's unavailability instead.
    if (decision.ok) throw err
    const failed = err instanceof ShifouError
      ? err
      : new ShifouError('AUDIT_UNAVAILABLE', 'The audit log cannot be written')
    return { ok: false, refusal: new Refusal(failed.code, failed.detail) }
  }
}

/** The refusal as the error the API answers with. */
export function refusalError (refusal: Refusal): ShifouError {
  const extra = refusal.extra === undefined && refusal.hints === undefined
    ? undefined
    : { ...refusal.hints, ...refusal.extra }
  return new ShifouError(refusal.code, refusal.detail, extra)
}
