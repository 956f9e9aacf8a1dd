/** Schemas of receipts, certificates, the JWK Set and the citizen's access log (design §9, §2 `subject`). */
import { Type } from '@fastify/type-provider-typebox'
import { Id, Strict } from './common.ts'

export const Jwk = Type.Object({
  kty: Type.Literal('OKP'),
  crv: Type.Literal('Ed25519'),
  x: Type.String({ description: 'raw public key, base64url' }),
  kid: Type.String({ description: 'base64url(SHA-256(raw public key)[0:16])' }),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig')
})
export const JwksResponse = Type.Object({ keys: Type.Array(Jwk) }, {
  description: 'JWK Set (RFC 7517 §5): the current receipt key first, then retired ones'
})

const Uuid = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' })
export const VerificationParams = Type.Object({ id: Uuid }, Strict)
export const CertificateBody = Type.Object({
  idNumber: Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'The subject\'s ID number: it must be the one the verification was about. ' +
      'Only its masked form is printed.'
  }),
  name: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 64,
    description: 'The applicant\'s name, printed masked (张*明); only when the verification confirmed it ' +
      '(a name question answered yes; 409 NAME_NOT_CHECKED otherwise)'
  })),
  lang: Type.Optional(Type.Union([Type.Literal('zh'), Type.Literal('en')], { description: 'default zh' })),
  format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('svg'), Type.Literal('png')], {
    description: 'html (default): the printable certificate; svg or png: its QR code (the receipt check link), ' +
      'or with `question` the QR code of that answer\'s receipt'
  })),
  question: Type.Optional(Id)
}, Strict)

const Base64 = Type.String({ description: 'base64 (RFC 4648 §4)' })
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()])

export const AccessLogQuery = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'entries per page, 1–200, default 50' })),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$', description: '`next` of the previous page' })),
  order: Type.Optional(Type.Union([Type.Literal('newest'), Type.Literal('oldest')], {
    description: 'newest first (default) or oldest first'
  }))
}, Strict)

const ZhEn = Type.Object({ zh: Type.String(), en: Type.String() })

export const AccessLogEntry = Type.Object({
  index: Type.Integer({ description: 'audit log index' }),
  at: Type.String({ description: 'RFC 3339' }),
  kind: Type.Union([Type.Literal('answer'), Type.Literal('refusal')]),
  caller: Type.String({ description: 'client id of the system that asked' }),
  callerName: Nullable(Type.String()),
  question: Nullable(Type.String()),
  questionTitle: Type.Union([ZhEn, Type.Null()], { description: 'the question\'s titles' }),
  purposeTitle: Type.Union([ZhEn, Type.Null()], {
    description: 'the purpose\'s titles (its code when it is not registered)'
  }),
  summary: ZhEn,
  purpose: Nullable(Type.String()),
  caseId: Nullable(Type.String()),
  answer: Nullable(Type.String()),
  code: Nullable(Type.String({ description: 'why a refusal was refused' })),
  consent: Nullable(Type.String({ description: 'jti of the consent the request carried' })),
  leaf: Base64,
  proof: Type.Union([Type.Array(Base64), Type.Null()], {
    description: 'RFC 9162 inclusion path of SHA-256(0x00 ‖ leaf) at index in the tree of checkpoint.size; ' +
      'null if no signed checkpoint covers the entry yet'
  })
})

export const AccessLogResponse = Type.Object({
  subject: Type.String({ description: 'your audit pseudonym (hex): every leaf listed names it as `subject`' }),
  about: Type.Object({ zh: Type.String(), en: Type.String() }, { description: 'what this list is, in plain words' }),
  entries: Type.Array(AccessLogEntry),
  checkpoint: Type.Union([
    Type.Object({
      origin: Type.String(),
      size: Type.Integer(),
      root: Base64,
      note: Type.String({ description: 'C2SP tlog-checkpoint signed note' })
    }),
    Type.Null()
  ]),
  next: Nullable(Type.String()),
  verify: Type.String({ description: 'How a client checks this response' })
})
