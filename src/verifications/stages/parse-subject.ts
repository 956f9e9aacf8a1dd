/**
 * Stage 1: the subject and the question list are well-formed (400, not audited: design §8 logs
 * refusals of well-formed requests only). The subject is normalised once here (cn-ric-v1,
 * cn-name-v1), and its audit pseudonym is what the verification's entries name. The case id is
 * taken in NFC.
 */
import { randomUUID } from 'node:crypto'
import { ID_NORM_VERSION, normaliseIdNumber, todayCst } from '../../matchers/cn-resident-id.ts'
import { NAME_NORM_VERSION, normaliseName } from '../../matchers/cn-name.ts'
import { actorOf, type Principal } from '../../principal.ts'
import { MAX_CASE_ID, Refusal, type Parsed, type VerificationRequest, type VerifyDeps } from '../types.ts'

export async function parseSubject (
  sent: VerificationRequest, principal: Principal, deps: VerifyDeps
): Promise<Parsed | Refusal> {
  // One case, one spelling: the case number is compared, counted and logged in NFC (design §14.6).
  const caseId = sent.caseId.normalize('NFC')
  if ([...caseId].length > MAX_CASE_ID) {
    return new Refusal('INVALID_BODY', `caseId is longer than ${MAX_CASE_ID} characters in NFC`,
      { hints: { field: '/caseId', expected: `at most ${MAX_CASE_ID} characters in NFC` } })
  }
  const request = caseId === sent.caseId ? sent : { ...sent, caseId }
  const id = normaliseIdNumber(request.subject.idNumber, todayCst())
  if (!id.ok) return new Refusal('INVALID_ID_NUMBER', 'subject.idNumber is not a valid resident ID number')
  let name: string | null = null
  if (request.subject.name !== undefined) {
    const n = normaliseName(request.subject.name)
    if (!n.ok) return new Refusal('INVALID_NAME', 'subject.name is not a valid name')
    name = n.value
  }
  const seen = new Set<string>()
  for (const q of request.questions) {
    if (seen.has(q.id)) return new Refusal('INVALID_BODY', 'A question is asked twice')
    seen.add(q.id)
  }
  const verification = randomUUID()
  const pseudonym = deps.keyring.audit.pseudonym(id.value)
  return {
    id: verification,
    principal,
    request,
    subject: { id: id.value, name, pseudonym },
    state: await deps.registry.current(),
    base: {
      actor: actorOf(principal),
      verification,
      caller: principal.sub,
      purpose: request.purpose,
      caseId: request.caseId,
      subject: pseudonym,
      norm: name === null ? ID_NORM_VERSION : ID_NORM_VERSION + ',' + NAME_NORM_VERSION
    }
  }
}
