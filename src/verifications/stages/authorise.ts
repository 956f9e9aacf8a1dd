/**
 * Stage 2: what a client may ask comes from its registration, never from its token or request
 * (403, audited). An unknown question is refused like a forbidden one, so that the API does not
 * reveal which questions exist. A question registered with requiresConsent needs the subject's
 * consent token (src/consent/check.ts); it is checked here and consumed only in stage 5.
 */
import { consentFor } from '../../consent/check.ts'
import type { CachedClient, CachedQuestion } from '../../registry/cache.ts'
import { nearMatches } from '../suggest.ts'
import { Refusal, type Authorised, type Parsed, type VerifyDeps } from '../types.ts'

export function authorise (v: Parsed, deps: VerifyDeps): Authorised | Refusal {
  const client = v.state.clients.get(v.principal.sub)
  if (client === undefined || !client.active) {
    return new Refusal('CLIENT_INACTIVE', 'This client is not registered or not active')
  }
  const questions: CachedQuestion[] = []
  const refused: number[] = []
  v.request.questions.forEach((q, i) => {
    const question = v.state.questions.get(q.id)
    if (question === undefined || !client.questions.has(q.id)) refused.push(i)
    else questions.push(question)
  })
  if (refused.length > 0) return notAllowed(v, client, refused)
  if (!client.purposes.has(v.request.purpose)) {
    const purposes = [...client.purposes].sort()
    return new Refusal('PURPOSE_NOT_ALLOWED',
      `This client may not ask for this purpose; its registered purposes are: ${purposes.join(', ')}`,
      { hints: { field: '/purpose', purposes } })
  }
  const consent = consentFor(deps.consent.verifier, questions, v.request.consent,
    { normalisedId: v.subject.id, caller: v.principal.sub, purpose: v.request.purpose })
  // An authentic consent's jti is named by every entry of the verification, a refusal's included.
  if (consent?.jti !== undefined) v.base.consent = consent.jti
  if (consent?.ok === false) {
    const about = consent.question === undefined ? {} : { question: consent.question }
    return new Refusal(consent.code, consent.detail, about)
  }
  return { ...v, client, questions, consent }
}

/**
 * QUESTION_NOT_ALLOWED naming each question refused, where it is in the request, and for a likely
 * typo the near matches among the questions this client may ask — never among the others, so the
 * refusal still does not tell a question that exists from one that does not.
 */
function notAllowed (v: Parsed, client: CachedClient, refused: readonly number[]): Refusal {
  const mayAsk = [...client.questions].filter((id) => v.state.questions.has(id))
  const questions = refused.map((i) => {
    const id = v.request.questions[i]!.id
    return { field: `/questions/${i}/id`, question: id, suggestions: nearMatches(id, mayAsk) }
  })
  const first = questions[0]!
  const named = questions.map((q) =>
    q.question + (q.suggestions.length === 0 ? '' : ` (did you mean ${q.suggestions.join(' or ')}?)`))
  const detail = `This client may not ask ${named.join(', ')}; GET /v1/questions lists the questions it may ask`
  return new Refusal('QUESTION_NOT_ALLOWED', detail, {
    question: first.question,
    hints: { field: first.field, question: first.question, questions }
  })
}
