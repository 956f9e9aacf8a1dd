/**
 * Answering a verification (design §5 "Caller", §3, §8): a request is answered whole or refused
 * whole. Every check — client, questions, purpose, consent, params, subject name, snapshots — passes
 * before any record is read; each refusal of a well-formed request is an audit entry; each answer
 * is an audit entry committed before the answer is returned.
 */
import { randomUUID } from 'node:crypto'
import type { Database } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import { ID_NORM_VERSION, normaliseIdNumber, todayCst } from '../matchers/cn-resident-id.ts'
import { NAME_NORM_VERSION, normaliseName } from '../matchers/cn-name.ts'
import { validateParams, type EvalContext, type ParamValue } from '../matchers/predicate/index.ts'
import type { AuditWriter } from '../audit/writer.ts'
import type { EntryInput } from '../audit/entry.ts'
import type { RegistryCache, CachedQuestion, RegistryState } from '../registry/cache.ts'
import { unreadableQuestion, type RecordLookups, type SubjectRecords } from '../connectors/records.ts'
import { normaliseHashedValue } from '../connectors/values.ts'
import type { AbuseMonitor } from '../abuse/monitor.ts'
import { consentFor, consumeConsent, type ConsentVerifier } from '../consent/check.ts'
import type { ReceiptService } from '../receipts/service.ts'
import { ShifouError, type ErrorCode } from '../errors.ts'
import { actorOf, type Principal } from '../principal.ts'

export const MAX_QUESTIONS = 20

export interface VerificationRequest {
  subject: { idNumber: string, name?: string }
  questions: Array<{ id: string, params?: Record<string, unknown> }>
  purpose: string
  caseId: string
  /** the subject's consent token, for questions that require it */
  consent?: string
}

/** `receipt` and `nonce` (src/receipts) are absent only when receipts are off (a benchmark). */
export interface Answer { question: string, answer: 'yes' | 'no', asOf: string, auditIndex: number, receipt?: string, nonce?: string }
export interface VerificationResult { id: string, answers: Answer[] }

export interface VerifyDeps {
  database: Database
  keyring: Keyring
  registry: RegistryCache
  /** The records lookups, batched across concurrent requests */
  lookups: RecordLookups
  audit: AuditWriter
  /** The limiter and detectors (design §10); absent only in benchmarks that measure their cost. */
  abuse?: AbuseMonitor
  /** Signs each answer's receipt; absent only in the benchmark that measures its cost. */
  receipts?: ReceiptService
  /** The configured consent issuers; without them, consent-requiring questions are refused. */
  consent?: ConsentVerifier
}

interface Asked { question: CachedQuestion, params: Record<string, ParamValue> }

export async function verify (deps: VerifyDeps, principal: Principal, body: VerificationRequest): Promise<VerificationResult> {
  // 1. Well-formedness (400, not audited): the subject, then the question list.
  const id = normaliseIdNumber(body.subject.idNumber, todayCst())
  if (!id.ok) throw new ShifouError('INVALID_ID_NUMBER', 'subject.idNumber is not a valid resident ID number')
  let name: string | null = null
  if (body.subject.name !== undefined) {
    const n = normaliseName(body.subject.name)
    if (!n.ok) throw new ShifouError('INVALID_NAME', 'subject.name is not a valid name')
    name = n.value
  }
  const seen = new Set<string>()
  for (const q of body.questions) {
    if (seen.has(q.id)) throw new ShifouError('INVALID_BODY', 'A question is asked twice')
    seen.add(q.id)
  }

  const verification = randomUUID()
  const subject = deps.keyring.audit.pseudonym(id.value)
  const state = await deps.registry.current()
  const base: Omit<EntryInput, 'kind'> = {
    actor: actorOf(principal),
    verification,
    caller: principal.sub,
    purpose: body.purpose,
    caseId: body.caseId,
    subject,
    norm: name === null ? ID_NORM_VERSION : ID_NORM_VERSION + ',' + NAME_NORM_VERSION
  }
  const refuse = async (code: ErrorCode, detail: string, question?: string, extra?: Record<string, string | number>): Promise<never> => {
    const err = new ShifouError(code, detail, extra)
    await deps.audit.append([{ kind: 'refusal', ...base, ...(question !== undefined ? { question } : {}), code, ...(extra === undefined ? {} : { detail: extra }) }])
    err.audited = true
    throw err
  }

  // 2. Authorisation (403, audited): what the client may ask comes from its registration.
  const client = state.clients.get(principal.sub)
  if (client === undefined || !client.active) return await refuse('CLIENT_INACTIVE', 'This client is not registered or not active')
  const asked: Asked[] = []
  for (const q of body.questions) {
    const question = state.questions.get(q.id)
    // An unknown question is refused like a forbidden one: the API does not reveal which exist.
    if (question === undefined || !client.questions.has(q.id)) return await refuse('QUESTION_NOT_ALLOWED', 'This client may not ask this question', q.id)
    asked.push({ question, params: {} })
  }
  if (!client.purposes.has(body.purpose)) return await refuse('PURPOSE_NOT_ALLOWED', 'This client may not ask for this purpose')
  // 2b. The subject's consent, when a question asks for it (403, audited; src/consent/check.ts).
  const consent = consentFor(deps.consent, asked.map((a) => a.question), body.consent, { normalisedId: id.value, caller: principal.sub, purpose: body.purpose })
  if (consent?.jti !== undefined) base.consent = consent.jti
  if (consent?.ok === false) return await refuse(consent.code, consent.detail, consent.question)

  // 3. Parameters and the subject's name (400).
  for (let i = 0; i < asked.length; i++) {
    const a = asked[i]!
    const p = validateParams(a.question.params, body.questions[i]!.params ?? {})
    if (!p.ok) throw new ShifouError('INVALID_PARAM', `questions/${i}/params: ${p.message}`)
    a.params = p.params
    if (a.question.predicate.usesSubjectName && name === null) {
      throw new ShifouError('SUBJECT_NAME_REQUIRED', `Question ${a.question.id} compares the subject's name; send subject.name`)
    }
  }

  // 3b. The client's limits (429, audited; 503 if the limiter cannot be consulted), counted on the
  // canonical ID so that decorated forms of one ID are one subject. When no check remains after
  // the limits, the records are read by the limiter's own statement, for requests that passed.
  const now = new Date()
  const subjectTag = Buffer.from(subject, 'hex')
  const snapshots = snapshotsFor(state, asked)
  const lookups = [...snapshots ?? []].map(([connectorId, snap]) => ({ connectorId, snapshotId: snap.id, subjectHash: deps.keyring.connector(connectorId, snap.keyVersion).subjectHash(id.value) }))
  const readWithLimits = deps.abuse !== undefined && snapshots !== null && consent?.ok !== true
  const clientInfo = { id: client.id, organisation: client.organisation, autoSuspend: client.autoSuspend }
  let records: Map<string, SubjectRecords> | null = null
  if (deps.abuse !== undefined) {
    // The detectors are told whether the subject is known to any connector: the lookups say when
    // they find it, the other active snapshots are probed when they do not.
    const looked = new Set(readWithLimits ? lookups.map((l) => l.snapshotId) : [])
    const probes = [...state.connectors.values()].flatMap((c) => c.active && c.snapshot !== null && !looked.has(c.snapshot.id)
      ? [{ snapshotId: c.snapshot.id, subjectHash: deps.keyring.connector(c.id, c.snapshot.keyVersion).subjectHash(id.value) }]
      : [])
    let decision: Awaited<ReturnType<AbuseMonitor['check']>>
    try {
      decision = await deps.abuse.check({
        client: client.id,
        organisation: client.organisation,
        quotas: client.quotas,
        subject: subjectTag,
        prefix: deps.keyring.audit.prefixTag(id.value),
        caseId: body.caseId,
        name: name === null ? null : deps.keyring.audit.nameTag(id.value, name),
        now,
        lookups: readWithLimits ? lookups : [],
        probes
      }, clientInfo)
    } catch (err) {
      return await refuse((err as ShifouError).code ?? 'QUOTA_UNAVAILABLE', 'The limiter cannot be consulted; the request is refused')
    }
    const { over, records: found } = decision
    if (over !== null) {
      deps.abuse.refused(clientInfo, over.limit, subjectTag, now)
      return await refuse('QUOTA_EXCEEDED', `This client's limit ${over.limit} is reached; retry after ${over.retryAfter} s or ask the platform operator for more`,
        undefined, { limit: over.limit, retryAfter: over.retryAfter })
    }
    if (readWithLimits) records = new Map(lookups.map((l, i) => [l.connectorId, found[i]!]))
  }

  // 4. Every connector has an active snapshot (503, audited).
  if (snapshots === null) return await refuse('NO_ACTIVE_SNAPSHOT', 'A connector of these questions has no active snapshot')
  // 4b. A consent is single-use: its jti is recorded last, once every other check has passed (409, audited).
  if (consent?.ok === true && !await consumeConsent(deps.database, consent.consent)) return await refuse('CONSENT_REPLAYED', 'This consent has been used already')

  // 5. Lookups, unless the limiter's statement made them: one per connector, whatever the number
  // of its questions.
  if (records === null) {
    const read = await Promise.all(lookups.map(async (l) => await deps.lookups.lookup(l.snapshotId, l.subjectHash)))
    records = new Map(lookups.map((l, i) => [l.connectorId, read[i]!]))
  }
  // 5b. A subject behind a rejected row of a connector asked is refused whole (409, audited): an
  // answer from the rest of their rows, or as unknown, may be false (design §14.1).
  const askedOf = asked.map((a) => ({ id: a.question.id, connectorId: a.question.connectorId }))
  const unreadable = unreadableQuestion(records, askedOf)
  if (unreadable !== null) {
    return await refuse('SUBJECT_DATA_UNREADABLE', `The data about this subject behind question ${unreadable} ` +
      'could not be read when it was loaded (a rejected row); no answer is given until the department loads it ' +
      'correctly. Check the subject in person, or ask the department.', unreadable)
  }

  // 6. Answers, then their entries; nothing is returned before the entries commit. Each entry
  // names the key that signs its receipt; receipts are signed once the entries have committed.
  const signer = deps.receipts === undefined ? null : await deps.receipts.signer()
  const connectorFields = new Map([...snapshots.keys()].map((c) => [c, state.connectors.get(c)!.fields]))
  const entries: EntryInput[] = []
  const answers: Array<Omit<Answer, 'auditIndex'>> = []
  for (const a of asked) {
    const snap = snapshots.get(a.question.connectorId)!
    const keys = deps.keyring.connector(a.question.connectorId, snap.keyVersion)
    const ctx: EvalContext = {
      params: a.params,
      subjectName: name,
      // Names arrive normalised (cn-name-v1); a hashed field's value gets the loader's normal form.
      hashField: (field, value) => keys.fieldHash(field, id.value, connectorFields.get(a.question.connectorId)![field] === 'hashed' ? normaliseHashedValue(value) : value)
    }
    const answer = a.question.predicate.evaluate(records.get(a.question.connectorId)!.records, ctx) ? 'yes' : 'no'
    answers.push({ question: a.question.id, answer, asOf: snap.asOf })
    entries.push({ kind: 'answer', ...base, question: a.question.id, params: a.params, answer, asOf: snap.asOf, snapshot: snap.id, keyVersion: snap.keyVersion, ...(signer === null ? {} : { receiptKid: signer.kid }) })
  }
  const written = await deps.audit.commit(entries)
  return {
    id: verification,
    answers: answers.map((a, i) => ({ ...a, auditIndex: written[i]!.index, ...(signer === null ? {} : deps.receipts!.issue(written[i]!, signer, id.value)) }))
  }
}

function snapshotsFor (state: RegistryState, asked: readonly Asked[]): Map<string, { id: number, asOf: string, keyVersion: number }> | null {
  const out = new Map<string, { id: number, asOf: string, keyVersion: number }>()
  for (const a of asked) {
    const connector = state.connectors.get(a.question.connectorId)
    if (connector === undefined || !connector.active || connector.snapshot === null) return null
    out.set(connector.id, connector.snapshot)
  }
  return out
}
