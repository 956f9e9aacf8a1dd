/** Schemas of the caller's routes (design §5 "Caller"). */
import { Type } from '@fastify/type-provider-typebox'
import { DateOnly, Id, Printable, Strict } from './common.ts'

export const VerificationBody = Type.Object({
  subject: Type.Object({
    // A string, never a JSON number: an 18-digit number loses precision above 2^53.
    idNumber: Type.String({ minLength: 1, maxLength: 64 }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 }))
  }, Strict),
  questions: Type.Array(Type.Object({
    id: Id,
    params: Type.Optional(Type.Record(Type.String({ maxLength: 63 }), Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]), { maxProperties: 32 }))
  }, Strict), { minItems: 1, maxItems: 20 }),
  purpose: Printable,
  caseId: Printable
}, Strict)

export const VerificationResponse = Type.Object({
  id: Type.String({ description: 'Verification id (shared by its audit entries)' }),
  answers: Type.Array(Type.Object({
    question: Type.String(),
    answer: Type.Union([Type.Literal('yes'), Type.Literal('no')]),
    asOf: DateOnly,
    auditIndex: Type.Integer({ description: 'Index of this answer\'s entry in the audit log' })
  }))
})
