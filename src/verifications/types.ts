/**
 * A verification (design §5 "Caller") as it passes through the pipeline's stages: each stage
 * takes what the previous one established and returns more, or a `Refusal`.
 */
import type { Keyring } from '../keys/keyring.ts'
import type { Entry, EntryInput, JsonValue } from '../audit/entry.ts'
import type { Companion, Numbered } from '../audit/writer.ts'
import type { RegistryState, CachedClient, CachedQuestion, ActiveSnapshot } from '../registry/cache.ts'
import type { ParamValue } from '../matchers/predicate/index.ts'
import type { SubjectRecords } from '../connectors/records.ts'
import type { RecordLookup, RecordSource } from '../connectors/record-source.ts'
import type { Admission, ClientInfo } from '../abuse/admission.ts'
import type { ReceiptIssuer } from '../receipts/issuer.ts'
import type { Consent, ConsentCheck, ConsentVerifier } from '../consent/check.ts'
import { ERRORS, type ErrorCode } from '../errors.ts'
import type { Principal } from '../principal.ts'

export const MAX_QUESTIONS = 20
/** characters of a case id (design §14.6) */
export const MAX_CASE_ID = 128

export interface VerificationRequest {
  subject: { idNumber: string, name?: string }
  questions: Array<{ id: string, params?: Record<string, unknown> }>
  purpose: string
  caseId: string
  /** the subject's consent token, for questions that require it */
  consent?: string
}

/** `receipt` and `nonce` (src/receipts) are absent only when receipts are off (a benchmark). */
export interface Answer {
  question: string
  answer: 'yes' | 'no'
  asOf: string
  auditIndex: number
  receipt?: string
  nonce?: string
}

export interface VerificationResult { id: string, answers: Answer[] }

/**
 * Why a verification is not answered, as a value. The pipeline writes the refusal entry of every
 * refusal of a well-formed request (design §8: 403, 409, 429, 503); a malformed one (400) is not
 * an entry.
 */
export class Refusal {
  readonly code: ErrorCode
  readonly detail: string
  /** the question the refusal is about, when it is about one */
  readonly question: string | undefined
  /** machine-readable members of the problem document (e.g. the limit and Retry-After) */
  readonly extra: Record<string, string | number> | undefined
  /**
   * Members of the problem document that tell the caller how to fix the request (the questions it
   * may ask instead, its purposes): for the caller only, not written to the audit entry.
   */
  readonly hints: Record<string, JsonValue> | undefined

  constructor (
    code: ErrorCode,
    detail: string,
    opts: { question?: string, extra?: Refusal['extra'], hints?: Refusal['hints'] } = {}
  ) {
    this.code = code
    this.detail = detail
    this.question = opts.question
    this.extra = opts.extra
    this.hints = opts.hints
  }

  get status (): number {
    return ERRORS[this.code].status
  }

  /** Whether design §8 makes this refusal an audit entry (a well-formed request refused). */
  get audited (): boolean {
    return this.status !== 400
  }
}

export type Outcome = { ok: true, result: VerificationResult } | { ok: false, refusal: Refusal }

export interface VerifyDeps {
  keyring: Keyring
  registry: { current(): Promise<RegistryState> }
  /** the record sources of the connectors' kinds (src/connectors/lookups.ts) */
  records: RecordSource
  /** The limits and detectors (`ADMIT_ALL` in benchmarks that measure their cost). */
  admission: Admission
  /** Commits entries (with a write that must commit in their transaction, e.g. an idempotency key's record). */
  audit: { commit(inputs: EntryInput[], companion?: Companion, numbered?: Numbered): Promise<Entry[]> }
  /** Signs each answer's receipt (`NO_RECEIPTS` in the benchmark that measures their cost). */
  receipts: ReceiptIssuer
  consent: {
    /** The configured consent issuers; without them, consent-requiring questions are refused. */
    verifier: ConsentVerifier
    /** Records a consent as used; false when it was used before. */
    consume(consent: Consent): Promise<boolean>
  }
}

/** The verification's dependencies out of a holder of more (the service's app): only these go. */
export function verifyDeps (from: VerifyDeps): VerifyDeps {
  const { keyring, registry, records, admission, audit, receipts, consent } = from
  return { keyring, registry, records, admission, audit, receipts, consent }
}

/** The audit fields that every entry of one verification shares. */
export type EntryBase = Omit<EntryInput, 'kind'>

/** Stage 1, parseSubject: a well-formed request about a valid subject. */
export interface Parsed {
  id: string
  principal: Principal
  request: VerificationRequest
  /** the subject's normalised ID (cn-ric-v1), name (cn-name-v1) and audit pseudonym */
  subject: { id: string, name: string | null, pseudonym: string }
  state: RegistryState
  base: EntryBase
}

/** Stage 2, authorise: a registered, active client asking what and why it may. */
export interface Authorised extends Parsed {
  client: CachedClient
  questions: CachedQuestion[]
  /** the consent check, null when no question asked requires consent */
  consent: ConsentCheck | null
}

/** Stage 3, checkQuestions: each question with its typed parameters. */
export interface Checked extends Authorised {
  asked: Array<{ question: CachedQuestion, params: Record<string, ParamValue> }>
}

/** A subject's records to read: its keyed hash in the active snapshot of one connector, of its kind. */
export type Lookup = RecordLookup

/** Stage 4, admit: within the client's limits, and counted. */
export interface Admitted extends Checked {
  /** the active snapshot of each connector asked, or null when one has none */
  snapshots: Map<string, ActiveSnapshot> | null
  lookups: Lookup[]
  /** what the detectors observe of a request the limiter found fresh, once its records are read */
  observe: { client: ClientInfo, subject: Buffer, prefix: Buffer, now: Date } | null
}

/** Stage 5, readRecords: the subject's records in every connector asked. */
export interface WithRecords extends Admitted {
  snapshots: Map<string, ActiveSnapshot>
  records: Map<string, SubjectRecords>
}

/** Stage 6, evaluate: the answers, before they are recorded. */
export interface Evaluated {
  question: CachedQuestion
  params: Record<string, ParamValue>
  answer: 'yes' | 'no'
  snapshot: ActiveSnapshot
}
