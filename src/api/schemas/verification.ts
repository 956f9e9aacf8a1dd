/** Schemas of the caller's routes (design §5 "Caller"). */
import { Type } from '@fastify/type-provider-typebox'
import { CaseId, DateOnly, Id, Printable, Strict } from './common.ts'

export const RECEIPT_DESCRIPTION = 'The signed receipt (electronic seal) of this answer: a compact JWS, ' +
  'EdDSA/Ed25519, header {alg: "EdDSA", kid, typ: "shifou-receipt+jwt"}, keys at /.well-known/jwks.json. ' +
  'Claims: iss (receipt issuer), iat (time of the audit entry, s), log (audit log origin), idx (audit index), ' +
  'vid (verification id), q (question), p (parameters), a (yes|no), asOf, snap (snapshot id), pur (purpose), ' +
  'case (case id), cli (caller), sub_c (subject commitment: ' +
  'base64url(SHA-256("shifou/v1/subject-commitment" ‖ 0x00 ‖ nonce ‖ 0x00 ‖ normalised ID))). ' +
  'Verify offline with `shifou receipt verify` or any JOSE library.'

const Subject = Type.Object({
  // A string, never a JSON number: an 18-digit number loses precision above 2^53.
  idNumber: Type.String({ minLength: 1, maxLength: 64, description: 'a resident ID number, as a JSON string' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 }))
}, Strict)
const Questions = Type.Array(Type.Object({
  id: Id,
  params: Type.Optional(Type.Record(
    Type.String({ maxLength: 63 }),
    Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]),
    { maxProperties: 32 }
  ))
}, Strict), { minItems: 1, maxItems: 20 })
const Consent = Type.String({
  minLength: 1,
  maxLength: 4096,
  description: 'The subject\'s consent token (a JWT from a configured consent issuer), required when a question ' +
    'asked has requiresConsent; ignored otherwise'
})

export const VerificationBody = Type.Object({
  subject: Subject,
  questions: Questions,
  purpose: Printable,
  caseId: CaseId,
  consent: Type.Optional(Consent)
}, Strict)

/** Items of a batch at most (design §14.6: a household or a case file). */
export const MAX_BATCH_ITEMS = 50

export const BatchBody = Type.Object({
  purpose: Printable,
  caseId: CaseId,
  items: Type.Array(Type.Object({
    subject: Subject,
    questions: Questions,
    consent: Type.Optional(Consent)
  }, Strict), {
    minItems: 1,
    maxItems: MAX_BATCH_ITEMS,
    description: `1–${MAX_BATCH_ITEMS} people, each asked its own questions; each item is answered or refused ` +
      'on its own, counted by the limits and audited as a verification of its own'
  })
}, Strict)

/** The Idempotency-Key header (design §14.6). */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({
    pattern: '^[\\x20-\\x7E]{1,255}$',
    description: '1–255 printable ASCII characters, unique per request you mean (a UUID is a good key): a repeat ' +
      'with the same key and body within 24 h returns the first response instead of asking again'
  }))
})

export const VerificationResponse = Type.Object({
  id: Type.String({ description: 'Verification id (shared by its audit entries)' }),
  answers: Type.Array(Type.Object({
    question: Type.String(),
    answer: Type.Union([Type.Literal('yes'), Type.Literal('no')]),
    asOf: DateOnly,
    auditIndex: Type.Integer({ description: 'Index of this answer\'s entry in the audit log' }),
    receipt: Type.Optional(Type.String({ description: RECEIPT_DESCRIPTION })),
    nonce: Type.Optional(Type.String({
      description: 'base64url of the 16-byte nonce of the receipt\'s subject commitment `sub_c`: with the ID number ' +
        'it proves whom the receipt is about. Keep it with the case file; it is not printed on certificates.'
    }))
  }))
})

const ProblemRef = Type.Unsafe<Record<string, unknown>>({ $ref: 'Problem#' })

export const BatchResponse = Type.Object({
  results: Type.Array(Type.Union([
    VerificationResponse,
    Type.Object({ error: ProblemRef }, { description: 'this item refused: the problem it would have had alone' })
  ]), { description: 'one result per item, in item order' })
})
