/**
 * The OpenAPI catalogue: what the route schemas cannot say about an operation — its operationId,
 * summary, examples, the error codes it can answer with and its non-JSON bodies — kept in one place
 * (operations/*.ts), keyed by method and OpenAPI path, and applied to the document @fastify/swagger
 * generates from the route schemas (plugins/openapi.ts). test/api/openapi-catalogue.test.ts fails
 * when a route has no entry, so a new route cannot land undocumented.
 *
 * Errors are documented as they are sent: application/problem+json (plugins/errors.ts), each status
 * with the codes this operation can give there (an enum on `code`) and an example per code.
 */
import { ERRORS, type ErrorCode } from '../../errors.ts'

/** A body in a media type other than JSON, or a JSON body's example. */
export interface MediaDoc {
  schema: Record<string, unknown>
  example?: unknown
}

export interface OperationDoc {
  operationId: string
  summary: string
  /** Replaces the route schema's description (most routes keep theirs). */
  description?: string
  /**
   * The codes this operation can answer with beyond those every route of its kind gives (see
   * errorCodes): a token's 401/403, a 500, a 503 when the database or the audit log is out, and for
   * a JSON body, a query string or a path parameter, the codes their validation gives.
   */
  errors?: ErrorCode[]
  /** Example of the JSON request body. */
  request?: unknown
  /** Example of the JSON success body. */
  response?: unknown
  /** Request bodies in other media types (uploads), replacing the generated one. */
  requestContent?: Record<string, MediaDoc>
  /** The success body (2xx) in its real media types, replacing the generated application/json one. */
  responseContent?: Record<string, MediaDoc>
  /** The body of one status in its real media types (a page answering 401 in HTML; `{}`: no body). */
  contentByStatus?: Record<string, Record<string, MediaDoc>>
  /** Response headers of the success status. */
  responseHeaders?: Record<string, { description: string, required?: boolean, schema: Record<string, unknown> }>
}

/** Keyed by `METHOD /path/{param}`. */
export type Catalogue = Record<string, OperationDoc>

/** What the document generator saw of a route (collected by the openapi plugin's transform). */
export interface RouteFacts {
  public: boolean
  jsonBody: boolean
  query: boolean
  params: boolean
}

export const PROBLEM_MEDIA_TYPE = 'application/problem+json'
const PROBLEM_REF = '#/components/schemas/Problem'

/** Every error code this operation can answer with. */
export function errorCodes (facts: RouteFacts, doc: OperationDoc | undefined): ErrorCode[] {
  // Any request may meet a service that is shutting down (plugins/closing.ts) or an internal error.
  const codes = new Set<ErrorCode>(['INTERNAL', 'SHUTTING_DOWN'])
  if (!facts.public) {
    const codesOfToken = [
      'UNAUTHENTICATED', 'TOKEN_LIFETIME_TOO_LONG', 'FORBIDDEN', 'DATABASE_UNAVAILABLE', 'AUDIT_UNAVAILABLE'
    ] as const
    for (const c of codesOfToken) codes.add(c)
  }
  if (facts.jsonBody) {
    const codesOfBody = ['INVALID_BODY', 'UNKNOWN_FIELD', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'] as const
    for (const c of codesOfBody) codes.add(c)
  }
  if (facts.query) { codes.add('INVALID_QUERY'); codes.add('UNKNOWN_FIELD') }
  if (facts.params) codes.add('NOT_FOUND')
  for (const c of doc?.errors ?? []) codes.add(c)
  return [...codes].sort()
}

function problemExample (code: ErrorCode): Record<string, unknown> {
  const { status, title } = ERRORS[code]
  return {
    type: 'https://shifou.invalid/problems/' + code.toLowerCase().replaceAll('_', '-'),
    title,
    status,
    code,
    detail: code === 'INTERNAL' ? 'Internal error' : title
  }
}

type Json = Record<string, unknown>
type Operation = Json & { responses?: Record<string, Json>, requestBody?: Json }

/** The error responses of an operation, by status: problem+json with the codes it can give there. */
export function errorResponses (codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const status = ERRORS[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  const out: Record<string, Json> = {}
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = {
      description: 'A problem document (RFC 9457) with one of the codes ' + list.join(', ') + '.',
      ...(status === 429 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
      content: {
        [PROBLEM_MEDIA_TYPE]: {
          schema: { allOf: [{ $ref: PROBLEM_REF }, { type: 'object', properties: { code: { enum: list } } }] },
          examples: Object.fromEntries(list.map((c) => [c, { $ref: '#/components/examples/' + c }]))
        }
      }
    }
  }
  return out
}

const RETRY_AFTER = {
  description: 'seconds until the limit allows the client again', required: true, schema: { type: 'integer' }
}
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head']

/** The generated operation, documented: catalogue entry, real media types, problem+json errors. */
function documentOperation (op: Operation, key: string, facts: RouteFacts, doc: OperationDoc | undefined): void {
  op.operationId = doc?.operationId ?? key.replace(/[^A-Za-z0-9]+/g, '_')
  if (doc !== undefined) op.summary = doc.summary
  if (doc?.description !== undefined) op.description = doc.description
  if (facts.public) op.security = []

  const responses: Record<string, Json> = {}
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    const content = response.content as Record<string, Json> | undefined
    // Problems are documented from the codes below; another error body (the JWK Set's 404) stays.
    if (Number(status) >= 400 && (content?.['application/json']?.schema as Json | undefined)?.$ref === PROBLEM_REF) {
      continue
    }
    const own = doc?.contentByStatus?.[status]
    if (own !== undefined) {
      if (Object.keys(own).length === 0) delete response.content
      else response.content = own
      responses[status] = response
      continue
    }
    if (Number(status) >= 400) { responses[status] = response; continue }
    if (doc?.responseContent !== undefined && Number(status) < 300) {
      response.content = doc.responseContent
    } else if (content?.['application/json'] !== undefined && doc?.response !== undefined) {
      content['application/json'].example = doc.response
    }
    // No body: 204, and a redirect (its Location says where).
    if (status === '204' || (Number(status) >= 300 && Number(status) < 400)) delete response.content
    if (doc?.responseHeaders !== undefined) response.headers = doc.responseHeaders
    responses[status] = response
  }
  op.responses = { ...responses, ...errorResponses(errorCodes(facts, doc)) }

  if (doc?.requestContent !== undefined) {
    op.requestBody = { required: true, content: doc.requestContent }
  } else if (doc?.request !== undefined) {
    const json = (op.requestBody?.content as Record<string, Json> | undefined)?.['application/json']
    if (json !== undefined) json.example = doc.request
  }
}

/** Applies the catalogue to the generated document (in place), and returns it. */
export function applyCatalogue<T extends Json> (
  document: T, catalogue: Catalogue, facts: ReadonlyMap<string, RouteFacts>
): T {
  const paths = (document.paths ?? {}) as Record<string, Record<string, Operation>>
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method]
      if (op === undefined) continue
      const key = `${method.toUpperCase()} ${path}`
      documentOperation(op, key, facts.get(key) ?? { public: false, jsonBody: false, query: false, params: false },
        catalogue[key])
    }
  }
  // One example problem per code, referred to by every operation that can answer with it.
  const components = (document.components ?? {}) as Json
  components.examples = Object.fromEntries((Object.keys(ERRORS) as ErrorCode[]).sort()
    .map((c) => [c, { summary: ERRORS[c].title, value: problemExample(c) }]))
  Object.assign(document, { components })
  return document
}

/** `/v1/connectors/:id` → `/v1/connectors/{id}`, as the document writes paths. */
export function openapiPath (url: string): string {
  return url.replace(/:(\w+)/g, '{$1}')
}
