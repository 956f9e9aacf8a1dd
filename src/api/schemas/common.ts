/**
 * Shared schema atoms (design §5). Every request schema rejects unknown fields
 * (additionalProperties: false) and types are never coerced (see the Ajv options in app.ts).
 */
import { Type, type TSchema } from '@fastify/type-provider-typebox'

export const Id = Type.String({
  pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$',
  description: 'an id of 1–64 characters a-z, 0-9, _ . - beginning with a letter or digit (a department, ' +
    'connector, question or client)'
})
/** 1–128 printable ASCII characters */
export const Printable = Type.String({
  pattern: '^[\\x20-\\x7E]{1,128}$',
  description: '1–128 printable ASCII characters'
})
/**
 * A case or file number (design §14.6): 1–128 characters of any script — letters, marks, numbers,
 * punctuation, symbols and the ASCII space — so 穗住保〔2026〕0001号 is one; no control, format
 * (zero-width, bidi), private-use or unassigned characters and no other spaces, which would make two
 * spellings of one case look alike. Normalised to NFC before use.
 */
export const CASE_ID_PATTERN = '^[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S} ]{1,128}$'
export const CaseId = Type.String({
  pattern: CASE_ID_PATTERN,
  description: '1–128 Unicode letters, marks, numbers, punctuation, symbols or ASCII spaces (no control, ' +
    'format or private-use characters), e.g. 穗住保〔2026〕0001号; compared in NFC',
  examples: ['穗住保〔2026〕0001号', 'HS-2026-0001']
})
export const Instant = Type.String({ description: 'RFC 3339 instant' })
export const DateOnly = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'Calendar date YYYY-MM-DD (China Standard Time)'
})

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  missing: Type.Optional(Type.Array(Type.String())),
  columns: Type.Optional(Type.Array(Type.String(), { description: 'MISSING_COLUMN: the columns the file has' })),
  duplicates: Type.Optional(Type.Array(Type.String(), { description: 'DUPLICATE_COLUMN: the headers given twice' })),
  line: Type.Optional(Type.Integer({ description: 'INVALID_ENCODING: the line of the first bad bytes' })),
  snapshot: Type.Optional(Type.Integer({ description: 'a failed load: its snapshot id (record and reject report)' })),
  rejectedByCode: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  rejectedCount: Type.Optional(Type.Integer()),
  limit: Type.Optional(Type.String({ description: 'the client limit that refused the request (QUOTA_EXCEEDED)' })),
  retryAfter: Type.Optional(Type.Integer({
    description: 'seconds until the limit allows the client again; also the Retry-After header'
  })),
  field: Type.Optional(Type.String({
    description: 'the JSON pointer (RFC 6901) of the field to fix: in the body, or the query parameter\'s name'
  })),
  expected: Type.Optional(Type.String({ description: 'what the field must be (INVALID_BODY, INVALID_QUERY)' })),
  suggestions: Type.Optional(Type.Array(Type.String(), {
    description: 'UNKNOWN_FIELD: the defined fields the unknown one is closest to (a likely misspelling)'
  })),
  question: Type.Optional(Type.String({ description: 'QUESTION_NOT_ALLOWED: the first question refused' })),
  questions: Type.Optional(Type.Array(Type.Object({
    field: Type.String(),
    question: Type.String(),
    suggestions: Type.Array(Type.String(), { description: 'questions this client may ask with a similar id' })
  }), { description: 'QUESTION_NOT_ALLOWED: every question refused, with its place in the request' })),
  purposes: Type.Optional(Type.Array(Type.String(), {
    description: 'PURPOSE_NOT_ALLOWED: the purposes this client is registered for'
  })),
  accepted: Type.Optional(Type.Array(Type.String(), {
    description: 'UNSUPPORTED_MEDIA_TYPE: the media types this route accepts'
  })),
  rejected: Type.Optional(Type.Array(Type.Object({
    line: Type.Integer(), field: Type.String(), code: Type.String(), reason: Type.Optional(Type.String())
  })))
}, { $id: 'Problem', description: 'application/problem+json (RFC 9457) with a stable code' })

const ProblemRef = Type.Unsafe<Record<string, unknown>>({ $ref: 'Problem#' })

/** The error responses every authenticated route can give. */
export function withErrors<T extends Record<number, TSchema>> (
  ok: T, ...statuses: number[]
): T & Record<number, TSchema> {
  const out: Record<number, TSchema> = { ...ok }
  for (const s of [400, 401, 403, 500, 503, ...statuses]) out[s] = ProblemRef
  return out as T & Record<number, TSchema>
}

export const Strict = { additionalProperties: false } as const
