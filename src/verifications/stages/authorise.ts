/**
 * Stage 2: what a client may ask comes from its registration, never from its token or request
 * (403, audited). An unknown question is refused like a forbidden one, so that the API does not
 * reveal which questions exist. A question registered with requiresConsent needs the subject's
 * consent token (src/consent/check.ts); it is checked here and consumed only in stage 5.
 */
import { consentFor } from '../../consent/check.ts'
import type { CachedQuestion } from '../../registry/cache.ts'
import { Refusal, type Authorised, type Parsed, type VerifyDeps } from '../types.ts'

export function authorise (v: Parsed, deps: VerifyDeps): Authorised | Refusal {
  const client = v.state.clients.get(v.principal.sub)
  if (client === undefined || !client.active) {
    return new Refusal('CLIENT_INACTIVE', 'This client is not registered or not active')
  }
  const questions: CachedQuestion[] = []
  for (const q of v.request.questions) {
    const question = v.state.questions.get(q.id)
    if (question === undefined || !client.questions.has(q.id)) {
      return new Refusal('QUESTION_NOT_ALLOWED', 'This client may not ask this question', { question: q.id })
    }
    questions.push(question)
  }
  if (!client.purposes.has(v.request.purpose)) {
    return new Refusal('PURPOSE_NOT_ALLOWED', 'This client may not ask for this purpose')
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
