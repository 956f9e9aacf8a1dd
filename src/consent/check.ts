/**
 * Consent of the subject (issue "consent"): a question registered with `requiresConsent` is asked
 * only with a consent token, a JWT (RFC 7519) signed by a configured issuer (issuers.ts):
 *
 *   header  {alg, kid}                 alg must be the one pinned for that kid
 *   iss     a configured issuer        aud    exactly "shifou"
 *   sub_h   subject hash (subject.ts)  questions  the question ids consented to
 *   cli     the caller's client id     pur    the purpose
 *   iat, exp (required), nbf (optional), jti (single use, 1–128 printable ASCII)
 *
 * `ConsentVerifier.check` decides everything that needs no database, in this order: CONSENT_REQUIRED (no
 * token), CONSENT_INVALID (malformed, unknown issuer or key, wrong alg, bad signature, wrong aud,
 * missing claims, not yet valid), CONSENT_EXPIRED, CONSENT_MISMATCH (subject, caller, purpose, or
 * a question not covered). `consumeConsent` records the jti right before the lookup, once every
 * other check has passed; a jti seen before is CONSENT_REPLAYED.
 */
import type { Executor } from '../db/client.ts'
import type { ErrorCode } from '../errors.ts'
import { decodeCompact, verifySignature } from '../crypto/jws.ts'
import type { ConsentIssuer } from './issuers.ts'
import { consentSubjectHash } from './subject.ts'

/** As for bearer tokens (src/api/plugins/auth.ts): clocks of kiosks and service differ a little. */
export const CLOCK_TOLERANCE_S = 5
const JTI = /^[\x21-\x7E]{1,128}$/

export interface ConsentExpectation {
  /** the subject's normalised ID */
  normalisedId: string
  caller: string
  purpose: string
  /** the asked questions that require consent */
  questions: readonly string[]
}

/** An authentic consent, ready to be consumed. */
export interface Consent { jti: string, iss: string, exp: number }

type ConsentCode = Extract<ErrorCode, `CONSENT_${string}`>

export type ConsentCheck =
  | { ok: true, consent: Consent, jti: string }
  | {
    ok: false
    code: ConsentCode
    detail: string
    question?: string
    /** set when the token is authentic */
    jti?: string
  }

const fail = (code: ConsentCode, detail: string, extra: { question?: string, jti?: string } = {}): ConsentCheck => {
  return { ok: false, code, detail, ...extra }
}
/**
 * A NumericDate (RFC 7519 §2) within years 1970–9999: `exp: 1e20` is refused as invalid, never
 * carried to the database (whose timestamps end in year 294276, and the API's instants in 9999).
 */
export const MAX_NUMERIC_DATE = Date.parse('9999-12-31T23:59:59Z') / 1000
const isTime = (v: unknown): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_NUMERIC_DATE

export class ConsentVerifier {
  readonly #issuers: ReadonlyMap<string, ConsentIssuer>

  constructor (issuers: ReadonlyMap<string, ConsentIssuer>) {
    this.#issuers = issuers
  }

  check (token: string | undefined, expect: ConsentExpectation, nowMs = Date.now()): ConsentCheck {
    if (token === undefined) {
      return fail('CONSENT_REQUIRED', 'A question asked requires the subject\'s consent; send it in `consent`')
    }
    const jws = decodeCompact(token)
    if (jws === null) return fail('CONSENT_INVALID', 'The consent is not a well-formed signed token')
    const claims = jws.payload
    const issuer = typeof claims.iss === 'string' ? this.#issuers.get(claims.iss) : undefined
    if (issuer === undefined) return fail('CONSENT_INVALID', 'The consent is not from a configured issuer')
    const key = typeof jws.header.kid === 'string' ? issuer.keys.get(jws.header.kid) : undefined
    if (key === undefined) {
      return fail('CONSENT_INVALID', 'The consent is signed with a key its issuer does not publish')
    }
    if (!verifySignature(jws, key)) return fail('CONSENT_INVALID', 'The consent\'s signature does not verify')
    // Authentic from here on: the claims are the issuer's.
    if (typeof claims.jti !== 'string' || !JTI.test(claims.jti)) {
      return fail('CONSENT_INVALID', 'The consent has no valid jti')
    }
    const jti = claims.jti
    if (claims.aud !== 'shifou') return fail('CONSENT_INVALID', 'The consent is not addressed to shifou (aud)', { jti })
    if (!isTime(claims.exp) || !isTime(claims.iat)) {
      return fail('CONSENT_INVALID', 'The consent needs iat and exp, NumericDates before year 10000', { jti })
    }
    const now = nowMs / 1000
    if (claims.iat > now + CLOCK_TOLERANCE_S) {
      return fail('CONSENT_INVALID', 'The consent is issued in the future', { jti })
    }
    if (claims.nbf !== undefined && (!isTime(claims.nbf) || claims.nbf > now + CLOCK_TOLERANCE_S)) {
      return fail('CONSENT_INVALID', 'The consent is not valid yet', { jti })
    }
    if (claims.exp <= now - CLOCK_TOLERANCE_S) return fail('CONSENT_EXPIRED', 'The consent has expired', { jti })
    if (claims.sub_h !== consentSubjectHash(expect.normalisedId)) {
      return fail('CONSENT_MISMATCH', 'The consent is about another subject', { jti })
    }
    if (claims.cli !== expect.caller) return fail('CONSENT_MISMATCH', 'The consent is for another caller', { jti })
    if (claims.pur !== expect.purpose) return fail('CONSENT_MISMATCH', 'The consent is for another purpose', { jti })
    const covered = Array.isArray(claims.questions)
      ? new Set(claims.questions.filter((q): q is string => typeof q === 'string'))
      : new Set<string>()
    for (const q of expect.questions) {
      if (!covered.has(q)) {
        return fail('CONSENT_MISMATCH', `The consent does not cover question ${q}`, { jti, question: q })
      }
    }
    return { ok: true, consent: { jti, iss: issuer.iss, exp: claims.exp }, jti }
  }
}

/** Records a consent as used; false if its jti was used before (a replay). */
export async function consumeConsent (db: Executor, consent: Consent): Promise<boolean> {
  const rows = await db.query(
    `insert into consent_uses (jti, issuer, expires_at) values ($1, $2, to_timestamp($3))
      on conflict (jti) do nothing returning jti`,
    [consent.jti, consent.iss, consent.exp])
  return rows.length === 1
}

const NO_ISSUERS = new ConsentVerifier(new Map())

/**
 * The consent check of one request (null when none of its questions requires consent). Without a
 * configured verifier every token is from an unknown issuer.
 */
export function consentFor (
  verifier: ConsentVerifier | undefined,
  questions: ReadonlyArray<{ id: string, requiresConsent: boolean }>,
  token: string | undefined,
  expect: Omit<ConsentExpectation, 'questions'>
): ConsentCheck | null {
  const required = questions.filter((q) => q.requiresConsent).map((q) => q.id)
  if (required.length === 0) return null
  return (verifier ?? NO_ISSUERS).check(token, { ...expect, questions: required })
}
