/** Schemas of the auditor's routes (design §5 "Auditor"). */
import { Type } from '@fastify/type-provider-typebox'
import { CaseId, Strict } from './common.ts'

const Filter = Type.String({ pattern: '^[\\x20-\\x7E]{1,128}$' })
export const EntriesQuery = Type.Object({
  caller: Type.Optional(Filter),
  question: Type.Optional(Filter),
  purpose: Type.Optional(Filter),
  caseId: Type.Optional(CaseId),
  answer: Type.Optional(Type.Union([Type.Literal('yes'), Type.Literal('no')])),
  kind: Type.Optional(Filter),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
    description: 'asc (default): oldest first; desc: newest first (`next` then counts down)'
  }))
}, Strict)

export const EntrySummary = Type.Object({
  index: Type.Integer(),
  at: Type.String(),
  kind: Type.String(),
  actor: Type.Object({ sub: Type.String(), role: Type.String() }),
  caller: Type.Union([Type.String(), Type.Null()]),
  question: Type.Union([Type.String(), Type.Null()]),
  params: Type.Union([
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
    Type.Null()
  ]),
  purpose: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  answer: Type.Union([Type.String(), Type.Null()]),
  code: Type.Union([Type.String(), Type.Null()]),
  subject: Type.Union([Type.String({ description: 'audit pseudonym (hex)' }), Type.Null()]),
  verification: Type.Union([Type.String(), Type.Null()]),
  snapshot: Type.Union([Type.Integer(), Type.Null()]),
  asOf: Type.Union([Type.String(), Type.Null()]),
  keyVersion: Type.Union([Type.Integer(), Type.Null()]),
  norm: Type.Union([Type.String(), Type.Null()]),
  consent: Type.Union([Type.String({ description: 'jti of the consent token the request carried' }), Type.Null()]),
  receiptKid: Type.Union([
    Type.String({ description: 'kid of the key that signed this answer\'s receipt' }),
    Type.Null()
  ]),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])
})

export const EntriesPage = Type.Object({
  entries: Type.Array(EntrySummary),
  next: Type.Union([Type.String(), Type.Null()])
})

export const SubjectSearchBody = Type.Object({
  idNumber: Type.String({ minLength: 1, maxLength: 64 }),
  reason: Type.String({ minLength: 5, maxLength: 500, pattern: '^[^\\u0000-\\u001f]*$' }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  cursor: Type.Optional(Type.Integer({ minimum: 0 }))
}, Strict)
