/**
 * The requests test/api/openapi-live.test.ts sends, in order, to check that the OpenAPI document tells
 * the truth: each response's status, media type and body must be what the document says of that
 * operation. Every operation of the document needs a case that succeeds, and every operation behind a
 * token one that is refused. A new route adds its lines here (and its entry in src/api/openapi/operations).
 *
 * The service runs on a real database holding the demo (src/demo, as `npm start` loads it), plus what the
 * cases below register: department oa, connectors oa-conn (loaded), oa-idle (never loaded) and oa-spare,
 * questions oa.q and oa.idle, clients oa-client and oa-limited.
 */
import type { ErrorCode } from '../../src/errors.ts'
import type { TokenClaims } from '../../src/tokens.ts'
import { ADMIN, AUDITOR, CALLER, callerOf, stewardOf, subjectOf } from '../helpers/claims.ts'

/** What earlier cases found out (ids), and the demo's people. */
export interface Ctx {
  person: { idNumber: string, name: string }
  other: { idNumber: string, name: string }
  verification: string
  auditIndex: number
  snapshot: number
  failedSnapshot: number
  /** the token of a printed certificate's check link */
  linkToken?: string
}

type Body = Record<string, unknown> | string
type Dyn<T> = T | ((c: Ctx) => T)

export interface Case {
  /** the operation, `METHOD /path/{param}` as in the document */
  op: string
  /** the token's claims; null: no token */
  as: Dyn<TokenClaims | null>
  /** path parameters (the rest of the URL comes from op) */
  params?: Dyn<Record<string, string | number>>
  query?: Dyn<string>
  /** a JSON body (object), or a raw body (string) sent with `type` */
  body?: Body | ((c: Ctx) => Body)
  type?: string
  status: number
  /** the problem's code, for a refusal */
  code?: ErrorCode
  /** request headers besides the token and the content type */
  headers?: Record<string, string>
  /** response headers expected, with their values */
  expect?: Record<string, string>
  /** the media type expected, when the operation has several */
  media?: string
  /** remembers what later cases need */
  save?: (body: unknown, c: Ctx) => void
}

// The demo's first three people (src/demo/population.ts): valid ID numbers.
const [FIRST, SECOND, THIRD] = ['330106196611226613', '610113196601260421', '310104195910303315']
const CSV = `id_number,amount\n${FIRST},12\n${SECOND},not-a-number\n`
const NDJSON = `{"id_number":"${FIRST}","amount":12}\n{"id_number":"${SECOND}","amount":"twelve"}\n`
const ask = (c: Ctx, questions: unknown[], purpose = 'housing-subsidy'): Record<string, unknown> =>
  ({ subject: c.person, questions, purpose, caseId: '穗住保〔2026〕0001号' })
const client = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ id, name: 'Client ' + id, questions: ['oa.q', 'oa.idle'], purposes: ['housing-subsidy'], ...extra })
const SUBJECT = { field: 'id_number', type: 'cn_resident_id' }
const [UNKNOWN, MEDIA, NONE, NO_TOKEN] =
  ['UNKNOWN_FIELD', 'UNSUPPORTED_MEDIA_TYPE', 'NOT_FOUND', 'UNAUTHENTICATED'] as const
const idle = { id: 'oa.idle', connector: 'oa-idle', title: 'Never loaded', when: { any: {} } }

export const CASES: Case[] = [
  // Public operations.
  { op: 'GET /healthz', as: null, status: 200 },
  { op: 'GET /readyz', as: null, status: 200 },
  { op: 'GET /.well-known/jwks.json', as: null, status: 200 },
  { op: 'GET /v1/agent-key', as: null, status: 200 },
  { op: 'GET /openapi.json', as: null, status: 200 },
  { op: 'GET /assets/{file}', as: null, params: { file: 'verify.js' }, status: 200, media: 'text/javascript' },
  { op: 'GET /assets/{file}', as: null, params: { file: 'nothing.js' }, status: 404, code: 'NOT_FOUND' },
  { op: 'GET /v1/audit/checkpoint-key', as: null, status: 200 },

  // Departments.
  { op: 'POST /v1/departments', as: ADMIN, body: { id: 'oa', name: 'OpenAPI Bureau' }, status: 201 },
  { op: 'POST /v1/departments', as: ADMIN, body: { id: 'oa-gone', name: 'Closing Bureau' }, status: 201 },
  { op: 'POST /v1/departments', as: ADMIN, body: { id: 'oa', name: 'Again' }, status: 409, code: 'CONFLICT' },
  { op: 'POST /v1/departments', as: ADMIN, body: { id: 'x', name: 'X', head: 'Y' }, status: 400, code: UNKNOWN },
  { op: 'POST /v1/departments', as: ADMIN, body: 'id=x', type: 'text/plain', status: 415, code: MEDIA },
  { op: 'POST /v1/departments', as: null, body: { id: 'x', name: 'X' }, status: 401, code: 'UNAUTHENTICATED' },
  { op: 'GET /v1/departments', as: ADMIN, status: 200 },
  { op: 'GET /v1/departments', as: CALLER, status: 403, code: 'FORBIDDEN' },
  { op: 'PUT /v1/departments/{id}', as: ADMIN, params: { id: 'oa' }, body: { name: 'OpenAPI Office' }, status: 200 },
  { op: 'PUT /v1/departments/{id}', as: ADMIN, params: { id: 'nope' }, body: { name: 'N' }, status: 404, code: NONE },
  { op: 'DELETE /v1/departments/{id}', as: ADMIN, params: { id: 'oa-gone' }, status: 204 },
  { op: 'DELETE /v1/departments/{id}', as: ADMIN, params: { id: 'BAD ID' }, status: 404, code: 'NOT_FOUND' },

  // Connectors and their snapshots.
  ...['oa-conn', 'oa-idle', 'oa-spare'].map((id): Case => ({
    op: 'POST /v1/connectors',
    as: ADMIN,
    body: {
      id,
      department: 'oa',
      title: 'Connector ' + id,
      kind: 'file',
      subject: { field: 'id_number', type: 'cn_resident_id' },
      fields: [{ name: 'amount', type: 'number' }],
      maxRejectRatio: 0.5
    },
    status: 201
  })),
  {
    op: 'POST /v1/connectors',
    as: ADMIN,
    body: { id: 'oa-x', department: 'nope', title: 'X', kind: 'file', subject: SUBJECT, fields: [] },
    status: 400,
    code: 'INVALID_DEFINITION'
  },
  { op: 'DELETE /v1/departments/{id}', as: ADMIN, params: { id: 'oa' }, status: 409, code: 'CONFLICT' },
  { op: 'GET /v1/connectors', as: stewardOf('oa'), status: 200 },
  { op: 'GET /v1/connectors', as: CALLER, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/connectors/{id}', as: ADMIN, params: { id: 'oa-conn' }, status: 200 },
  { op: 'GET /v1/connectors/{id}', as: stewardOf('tax'), params: { id: 'oa-conn' }, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/connectors/{id}', as: ADMIN, params: { id: 'nope' }, status: 404, code: 'NOT_FOUND' },
  {
    op: 'PUT /v1/connectors/{id}',
    as: ADMIN,
    params: { id: 'oa-spare' },
    body: {
      department: 'oa', title: 'Spare', kind: 'file', subject: SUBJECT, fields: []
    },
    status: 200
  },
  {
    op: 'PUT /v1/connectors/{id}',
    as: ADMIN,
    params: { id: 'oa-spare' },
    body: { department: 'tax', title: 'S', kind: 'file', subject: SUBJECT, fields: [] },
    status: 400,
    code: 'INVALID_DEFINITION'
  },
  { op: 'DELETE /v1/connectors/{id}', as: ADMIN, params: { id: 'oa-spare' }, status: 204 },
  { op: 'DELETE /v1/connectors/{id}', as: ADMIN, params: { id: 'nope' }, status: 404, code: 'NOT_FOUND' },
  {
    op: 'PUT /v1/connectors/{id}/snapshot',
    as: stewardOf('oa'),
    params: { id: 'oa-conn' },
    query: 'asOf=2026-03-01',
    body: CSV,
    type: 'text/csv; charset=utf-8',
    status: 201,
    save: (b, c) => { c.snapshot = (b as { snapshot: { id: number } }).snapshot.id }
  },
  {
    op: 'PUT /v1/connectors/{id}/snapshot',
    as: ADMIN,
    params: { id: 'oa-conn' },
    query: 'asOf=2026-03-01',
    body: NDJSON,
    type: 'application/x-ndjson',
    status: 201
  },
  {
    op: 'PUT /v1/connectors/{id}/snapshot',
    as: ADMIN,
    params: { id: 'oa-conn' },
    query: 'asOf=2026-03-01',
    body: `id_number,amount\n${THIRD},x\n`,
    type: 'text/csv',
    status: 422,
    code: 'REJECT_RATIO_EXCEEDED',
    save: (b, c) => { c.failedSnapshot = (b as { snapshot: number }).snapshot }
  },
  {
    op: 'PUT /v1/connectors/{id}/snapshot',
    as: ADMIN,
    params: { id: 'oa-conn' },
    query: 'asOf=2026-03-01',
    body: `id_number,total\n${THIRD},1\n`,
    type: 'text/csv',
    status: 400,
    code: 'MISSING_COLUMN'
  },
  {
    op: 'PUT /v1/connectors/{id}/snapshot',
    as: ADMIN,
    params: { id: 'oa-conn' },
    query: 'asOf=2026-03-01',
    body: { id_number: THIRD },
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE'
  },
  // A pull connector whose "department database" is this service's own PostgreSQL server.
  {
    op: 'POST /v1/connectors',
    as: ADMIN,
    body: {
      id: 'oa-pull',
      department: 'oa',
      title: 'Pulled',
      kind: 'pull',
      source: {
        engine: 'postgres',
        url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        query: `select '330106196611226613' as id_number, 89.5 as amount`
      },
      schedule: '30 2 * * *',
      subject: SUBJECT,
      fields: [{ name: 'amount', type: 'number' }]
    },
    status: 201
  },
  { op: 'POST /v1/connectors/{id}/sync', as: stewardOf('oa'), params: { id: 'oa-pull' }, status: 200 },
  { op: 'POST /v1/connectors/{id}/sync', as: ADMIN, params: { id: 'oa-pull' }, status: 200 },
  {
    op: 'POST /v1/connectors/{id}/sync',
    as: ADMIN,
    params: { id: 'oa-conn' },
    status: 409,
    code: 'NOT_A_PULL_CONNECTOR'
  },
  { op: 'POST /v1/connectors/{id}/sync', as: CALLER, params: { id: 'oa-pull' }, status: 403, code: 'FORBIDDEN' },
  { op: 'POST /v1/connectors/{id}/keys/rotate', as: ADMIN, params: { id: 'oa-conn' }, status: 200 },
  { op: 'POST /v1/connectors/{id}/keys/rotate', as: CALLER, params: { id: 'oa-conn' }, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/connectors/{id}/snapshots', as: ADMIN, params: { id: 'oa-conn' }, status: 200 },
  { op: 'GET /v1/connectors/{id}/snapshots', as: CALLER, params: { id: 'oa-conn' }, status: 403, code: 'FORBIDDEN' },
  {
    op: 'GET /v1/connectors/{id}/snapshots/{snapshot}/rejects',
    as: ADMIN,
    params: (c) => ({ id: 'oa-conn', snapshot: c.snapshot }),
    status: 200
  },
  {
    op: 'GET /v1/connectors/{id}/snapshots/{snapshot}/rejects',
    as: ADMIN,
    params: { id: 'oa-conn', snapshot: 999999 },
    status: 404,
    code: 'NOT_FOUND'
  },

  // Questions.
  {
    op: 'POST /v1/questions',
    as: ADMIN,
    body: { id: 'oa.q', connector: 'oa-conn', title: 'Has an amount', when: { any: { amount: { gt: 0 } } } },
    status: 201
  },
  { op: 'POST /v1/questions', as: ADMIN, body: idle, status: 201 },
  { op: 'POST /v1/questions', as: ADMIN, body: { ...idle, id: 'oa.gone' }, status: 201 },
  { op: 'POST /v1/questions', as: ADMIN, body: idle, status: 409, code: 'CONFLICT' },
  {
    op: 'POST /v1/questions',
    as: ADMIN,
    body: { ...idle, id: 'oa.bad', when: { any: { colour: { eq: 'red' } } } },
    status: 400,
    code: 'INVALID_DEFINITION'
  },
  { op: 'DELETE /v1/connectors/{id}', as: ADMIN, params: { id: 'oa-idle' }, status: 409, code: 'CONFLICT' },
  { op: 'GET /v1/questions', as: CALLER, status: 200 },
  { op: 'GET /v1/questions', as: AUDITOR, status: 200 },
  { op: 'GET /v1/questions', as: callerOf('oa-nobody'), status: 403, code: 'CLIENT_INACTIVE' },
  { op: 'GET /v1/questions/{id}', as: ADMIN, params: { id: 'oa.q' }, status: 200 },
  { op: 'GET /v1/questions/{id}', as: ADMIN, params: { id: 'nope' }, status: 404, code: 'NOT_FOUND' },
  {
    op: 'PUT /v1/questions/{id}',
    as: ADMIN,
    params: { id: 'oa.idle' },
    body: { connector: 'oa-idle', title: 'Never loaded, yet', when: { any: {} } },
    status: 200
  },
  {
    op: 'PUT /v1/questions/{id}',
    as: ADMIN,
    params: { id: 'nope' },
    body: { connector: 'oa-idle', title: 'N', when: { any: {} } },
    status: 404,
    code: 'NOT_FOUND'
  },
  { op: 'DELETE /v1/questions/{id}', as: ADMIN, params: { id: 'oa.gone' }, status: 204 },
  { op: 'DELETE /v1/questions/{id}', as: ADMIN, params: { id: 'nope' }, status: 404, code: 'NOT_FOUND' },

  // Clients.
  { op: 'POST /v1/clients', as: ADMIN, body: client('oa-client'), status: 201 },
  { op: 'POST /v1/clients', as: ADMIN, body: client('oa-limited', { quotas: { subjectsPerDay: 0 } }), status: 201 },
  { op: 'POST /v1/clients', as: ADMIN, body: client('oa-gone'), status: 201 },
  { op: 'POST /v1/clients', as: ADMIN, body: client('oa-client'), status: 409, code: 'CONFLICT' },
  {
    op: 'POST /v1/clients',
    as: ADMIN,
    body: client('oa-bad', { questions: ['no.such'] }),
    status: 400,
    code: 'INVALID_DEFINITION'
  },
  { op: 'GET /v1/clients', as: ADMIN, status: 200 },
  { op: 'POST /v1/purposes', as: ADMIN, body: { id: 'oa-purpose', titles: { zh: '开放', en: 'OpenAPI' } }, status: 201 },
  {
    op: 'POST /v1/purposes', as: ADMIN, body: { id: 'oa-purpose', titles: { zh: 'x' } }, status: 409, code: 'CONFLICT'
  },
  { op: 'POST /v1/purposes', as: CALLER, body: { id: 'oa-p', titles: { zh: 'x' } }, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/purposes', as: CALLER, status: 200 },
  { op: 'GET /v1/purposes', as: null, status: 401, code: 'UNAUTHENTICATED' },
  {
    op: 'PUT /v1/purposes/{id}', as: ADMIN, params: { id: 'oa-purpose' }, body: { titles: { en: 'OA' } }, status: 200
  },
  {
    op: 'PUT /v1/purposes/{id}', as: ADMIN, params: { id: 'nope' }, body: { titles: { en: 'N' } }, status: 404,
    code: NONE
  },
  { op: 'GET /v1/clients', as: stewardOf('oa'), status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/clients/{id}', as: ADMIN, params: { id: 'oa-client' }, status: 200 },
  { op: 'GET /v1/clients/{id}', as: AUDITOR, params: { id: 'oa-client' }, status: 403, code: 'FORBIDDEN' },
  {
    op: 'PUT /v1/clients/{id}',
    as: ADMIN,
    params: { id: 'oa-client' },
    body: { name: 'OpenAPI client', questions: ['oa.q', 'oa.idle'], purposes: ['housing-subsidy'] },
    status: 200
  },
  {
    op: 'PUT /v1/clients/{id}',
    as: ADMIN,
    params: { id: 'nope' },
    body: { name: 'N', questions: [], purposes: [] },
    status: 404,
    code: 'NOT_FOUND'
  },
  {
    op: 'PUT /v1/clients/{id}/quotas',
    as: ADMIN,
    params: { id: 'oa-client' },
    body: { quotas: { requestsPerMinute: 1000 } },
    status: 200
  },
  {
    op: 'PUT /v1/clients/{id}/quotas',
    as: ADMIN,
    params: { id: 'oa-client' },
    body: { quotas: { perHour: 1 } },
    status: 400,
    code: 'UNKNOWN_FIELD'
  },
  { op: 'GET /v1/clients/me', as: CALLER, status: 200 },
  { op: 'GET /v1/clients/me', as: callerOf('oa-nobody'), status: 403, code: 'CLIENT_INACTIVE' },
  { op: 'DELETE /v1/clients/{id}', as: ADMIN, params: { id: 'oa-gone' }, status: 204 },
  { op: 'DELETE /v1/clients/{id}', as: ADMIN, params: { id: 'nope' }, status: 404, code: 'NOT_FOUND' },

  // Verifications, certificates, the citizen's access log (the demo's caller and people).
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    body: (c) => ask(c, [
      { id: 'identity.name_matches' }, { id: 'property.none' }, { id: 'tax.paid_in_year', params: { year: 2025 } }
    ]),
    status: 200,
    save: (b, c) => {
      const v = b as { id: string, answers: Array<{ auditIndex: number }> }
      c.verification = v.id
      c.auditIndex = v.answers[0]!.auditIndex
    }
  },
  ...[200, 200].map((status, i): Case => ({
    op: 'POST /v1/verifications',
    as: CALLER,
    headers: { 'idempotency-key': 'oa-retry-1' },
    body: (c) => ask(c, [{ id: 'property.none' }]),
    status,
    expect: i === 0 ? {} : { 'idempotent-replayed': 'true' }
  })),
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    headers: { 'idempotency-key': 'oa-retry-1' },
    body: (c) => ask(c, [{ id: 'identity.name_matches' }]),
    status: 422,
    code: 'IDEMPOTENCY_KEY_REUSED'
  },
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    headers: { 'idempotency-key': '' },
    body: (c) => ask(c, [{ id: 'property.none' }]),
    status: 400,
    code: 'INVALID_HEADER'
  },
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    body: (c) => ask(c, [{ id: 'oa.q' }]),
    status: 403,
    code: 'QUESTION_NOT_ALLOWED'
  },
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    body: (c) => ask(c, [{ id: 'property.none' }], 'curiosity'),
    status: 403,
    code: 'PURPOSE_NOT_ALLOWED'
  },
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    body: (c) => ({ ...ask(c, [{ id: 'property.none' }]), subject: { idNumber: '110101199003074510' } }),
    status: 400,
    code: 'INVALID_ID_NUMBER'
  },
  {
    op: 'POST /v1/verifications',
    as: CALLER,
    body: (c) => ({ ...ask(c, [{ id: 'property.none' }]), priority: 'high' }),
    status: 400,
    code: 'UNKNOWN_FIELD'
  },
  { op: 'POST /v1/verifications', as: null, body: (c) => ask(c, [{ id: 'oa.q' }]), status: 401, code: NO_TOKEN },
  {
    op: 'POST /v1/verifications',
    as: callerOf('oa-limited'),
    body: (c) => ask(c, [{ id: 'oa.q' }]),
    status: 429,
    code: 'QUOTA_EXCEEDED'
  },
  {
    op: 'POST /v1/verifications',
    as: callerOf('oa-client'),
    body: (c) => ask(c, [{ id: 'oa.idle' }]),
    status: 503,
    code: 'NO_ACTIVE_SNAPSHOT'
  },
  {
    op: 'POST /v1/verifications/batch',
    as: CALLER,
    body: (c) => ({
      purpose: 'housing-subsidy',
      caseId: '穗住保〔2026〕0002号',
      items: [
        { subject: c.person, questions: [{ id: 'property.none' }] },
        { subject: { idNumber: c.other.idNumber }, questions: [{ id: 'identity.name_matches' }] },
        { subject: { idNumber: c.other.idNumber }, questions: [{ id: 'oa.q' }] }
      ]
    }),
    status: 200
  },
  {
    op: 'POST /v1/verifications/batch',
    as: CALLER,
    body: (c) => ({ purpose: 'housing-subsidy', caseId: 'X-2', items: [{ subject: c.person, questions: [] }], v: 2 }),
    status: 400,
    code: UNKNOWN
  },
  {
    op: 'POST /v1/verifications/batch',
    as: CALLER,
    body: { purpose: 'housing-subsidy', caseId: 'X-3', items: [] },
    status: 400,
    code: 'INVALID_BODY'
  },
  { op: 'POST /v1/verifications/batch', as: null, body: { items: [] }, status: 401, code: NO_TOKEN },
  {
    op: 'POST /v1/verifications/{id}/certificate',
    as: CALLER,
    params: (c) => ({ id: c.verification }),
    body: (c) => ({ idNumber: c.person.idNumber, lang: 'en' }),
    status: 200,
    media: 'text/html',
    save: (body, c) => { c.linkToken = /\/r#([A-Za-z0-9_-]{22})/.exec(String(body))?.[1] ?? '' }
  },
  { op: 'GET /v1/receipt-links/{token}', as: null, params: (c) => ({ token: c.linkToken ?? '' }), status: 200 },
  {
    op: 'GET /v1/receipt-links/{token}', as: null, params: { token: 'A'.repeat(22) }, status: 404, code: 'NOT_FOUND'
  },
  { op: 'GET /r', as: null, status: 200, media: 'text/html' },

  {
    op: 'POST /v1/verifications/{id}/certificate',
    as: CALLER,
    params: (c) => ({ id: c.verification }),
    body: (c) => ({ idNumber: c.person.idNumber, format: 'svg', question: 'property.none' }),
    status: 200,
    media: 'image/svg+xml'
  },
  {
    op: 'POST /v1/verifications/{id}/certificate',
    as: CALLER,
    params: (c) => ({ id: c.verification }),
    body: (c) => ({ idNumber: c.person.idNumber, format: 'png', question: 'property.none' }),
    status: 200,
    media: 'image/png'
  },
  {
    op: 'POST /v1/verifications/{id}/certificate',
    as: CALLER,
    params: (c) => ({ id: c.verification }),
    body: (c) => ({ idNumber: c.other.idNumber }),
    status: 403,
    code: 'FORBIDDEN'
  },
  {
    op: 'POST /v1/verifications/{id}/certificate',
    as: CALLER,
    params: { id: 'not-a-uuid' },
    body: (c) => ({ idNumber: c.person.idNumber }),
    status: 404,
    code: 'NOT_FOUND'
  },
  { op: 'GET /v1/me/access-log', as: null, status: 401, code: 'UNAUTHENTICATED' },
  { op: 'GET /v1/me/access-log', as: CALLER, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/me/access-log', as: (c) => subjectOf(c.person.idNumber), query: 'limit=20', status: 200 },

  // The audit log (the access log above has signed a checkpoint covering the verification).
  { op: 'GET /v1/audit/entries', as: AUDITOR, query: 'kind=answer&limit=5', status: 200 },
  { op: 'GET /v1/audit/entries', as: AUDITOR, query: 'limit=lots', status: 400, code: 'INVALID_QUERY' },
  { op: 'GET /v1/audit/entries', as: AUDITOR, query: 'colour=red', status: 400, code: 'UNKNOWN_FIELD' },
  { op: 'GET /v1/audit/entries', as: CALLER, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/audit/entries/{index}', as: CALLER, params: (c) => ({ index: c.auditIndex }), status: 200 },
  {
    op: 'GET /v1/audit/entries/{index}',
    as: callerOf('oa-client'),
    params: (c) => ({ index: c.auditIndex }),
    status: 403,
    code: 'FORBIDDEN'
  },
  { op: 'GET /v1/audit/entries/{index}', as: AUDITOR, params: { index: 999999999 }, status: 404, code: 'NOT_FOUND' },
  {
    op: 'POST /v1/audit/subject-search',
    as: AUDITOR,
    body: (c) => ({ idNumber: c.person.idNumber, reason: 'Complaint 2026-017' }),
    status: 200
  },
  {
    op: 'POST /v1/audit/subject-search',
    as: AUDITOR,
    body: { idNumber: '12345', reason: 'Complaint 2026-017' },
    status: 400,
    code: 'INVALID_ID_NUMBER'
  },
  { op: 'GET /v1/audit/checkpoint', as: AUDITOR, status: 200 },
  { op: 'GET /v1/audit/checkpoint', as: null, status: 401, code: 'UNAUTHENTICATED' },
  { op: 'GET /v1/audit/proofs/inclusion', as: CALLER, query: (c) => `index=${c.auditIndex}`, status: 200 },
  { op: 'GET /v1/audit/proofs/inclusion', as: AUDITOR, query: 'index=5&size=5', status: 400, code: 'INVALID_QUERY' },
  { op: 'GET /v1/audit/proofs/consistency', as: AUDITOR, query: 'from=1&to=3', status: 200 },
  { op: 'GET /v1/audit/proofs/consistency', as: AUDITOR, query: 'from=3&to=1', status: 400, code: 'INVALID_QUERY' },
  { op: 'GET /v1/audit/export', as: AUDITOR, query: 'format=jsonl', status: 200, media: 'application/x-ndjson' },
  { op: 'GET /v1/audit/export', as: AUDITOR, query: 'format=csv', status: 200, media: 'text/csv' },
  { op: 'GET /v1/audit/export', as: AUDITOR, query: 'format=xml', status: 400, code: 'INVALID_QUERY' },
  { op: 'GET /v1/audit/export', as: stewardOf('oa'), query: 'format=csv', status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/audit/summary', as: AUDITOR, status: 200 },
  { op: 'GET /v1/audit/summary', as: AUDITOR, query: 'from=2026-02-30T00:00:00Z', status: 400, code: 'INVALID_QUERY' },
  { op: 'GET /v1/audit/summary', as: CALLER, status: 403, code: 'FORBIDDEN' },
  { op: 'GET /v1/audit/alerts', as: AUDITOR, status: 200 },
  { op: 'GET /v1/audit/alerts', as: AUDITOR, query: 'limit=0', status: 400, code: 'INVALID_QUERY' },
  // The live test stores one alert (id 1) before the cases run.
  { op: 'POST /v1/audit/alerts/{id}/acknowledge', as: AUDITOR, params: { id: 1 }, status: 200 },
  { op: 'POST /v1/audit/alerts/{id}/acknowledge', as: AUDITOR, params: { id: 999999 }, status: 404, code: NONE },
  { op: 'POST /v1/audit/alerts/{id}/acknowledge', as: CALLER, params: { id: 1 }, status: 403, code: 'FORBIDDEN' },

  // The console (its development sign-in is on in the live test).
  { op: 'GET /console', as: null, status: 200, media: 'text/html' },
  { op: 'GET /console/session', as: null, status: 200 },
  { op: 'POST /console/session/dev', as: null, body: { role: 'auditor' }, status: 200 },
  { op: 'POST /console/session/dev', as: null, body: { role: 'caller' }, status: 400, code: 'INVALID_BODY' },
  { op: 'DELETE /console/session', as: null, status: 204 }
]
