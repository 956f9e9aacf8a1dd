/**
 * Verification requests as the tests send them: `verification({ idNumber, … })` is a request body,
 * and TestApp's `ask`/`verified` (test/helpers/app.ts) post one.
 */
import { DEMO_PURPOSE } from '../../src/demo/demo.ts'

/** A question as a client names it: its id alone, or its id and params. */
export type Asked = string | { id: string, params?: Record<string, unknown> }

export interface Ask {
  idNumber: string
  name?: string
  /** Default: whether the name matches when a name is given, otherwise property.holds. */
  questions?: Asked | Asked[]
  /** Default: the demo's purpose (housing-subsidy). */
  purpose?: string
  /** Default: CASE-1. */
  caseId?: string
}

export interface Answer {
  question: string
  answer: 'yes' | 'no'
  asOf: string
  auditIndex: number
  receipt: string
  nonce: string
}

/** A 200 answer to POST /v1/verifications. */
export interface Verified { id: string, answers: Answer[] }

/** The body of POST /v1/verifications. */
export function verification (a: Ask): Record<string, unknown> {
  const questions = [a.questions ?? (a.name === undefined ? 'property.holds' : 'identity.name_matches')].flat()
  return {
    subject: a.name === undefined ? { idNumber: a.idNumber } : { idNumber: a.idNumber, name: a.name },
    questions: questions.map((q) => typeof q === 'string' ? { id: q } : q),
    purpose: a.purpose ?? DEMO_PURPOSE,
    caseId: a.caseId ?? 'CASE-1'
  }
}
