/**
 * Errors as application/problem+json with a stable code (design §5). A 5xx says nothing internal.
 * Nothing a client sent (identifiers, names, tokens) is echoed or logged.
 *
 * A refusal thrown by a route (403, 429, 503 of an authenticated request: a role or department it
 * may not act for, a database that cannot be reached) is written to the audit log here; if that
 * write fails, the answer is 503 AUDIT_UNAVAILABLE. A verification's refusals are not thrown: the
 * pipeline (src/verifications/pipeline.ts) audits them with the verification's own fields and the
 * route sends them with `reply.problem`.
 */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, isShifouError, ShifouError, type ErrorCode } from '../../errors.ts'
import { actorOf } from '../../principal.ts'

declare module 'fastify' {
  interface FastifyReply {
    /** Sends an error that needs no audit entry (already written, or none due) as a problem document. */
    problem: (err: ShifouError) => FastifyReply
  }
}

function fromFastify (err: FastifyError): ShifouError {
  if (err.validation !== undefined) {
    const first = err.validation[0]
    const where = err.validationContext ?? 'body'
    if (first?.keyword === 'additionalProperties' || first?.keyword === 'unevaluatedProperties') {
      return new ShifouError('UNKNOWN_FIELD', `${where}${first.instancePath} has a field that is not part of the API`)
    }
    const codes: Record<string, ErrorCode> = { querystring: 'INVALID_QUERY', params: 'NOT_FOUND' }
    const code = codes[where] ?? 'INVALID_BODY'
    // Ajv's message names the rule broken (type, pattern, length), never the value sent.
    return new ShifouError(code, `${where}${first?.instancePath ?? ''} ${first?.message ?? 'is not valid'}`)
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ShifouError('PAYLOAD_TOO_LARGE', 'The request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ShifouError('UNSUPPORTED_MEDIA_TYPE', 'This content type is not accepted here')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return new ShifouError('INVALID_BODY', 'The body is not valid JSON')
  }
  if (err.statusCode === 413) return new ShifouError('PAYLOAD_TOO_LARGE', 'The request is not valid')
  if (err.statusCode === 415) return new ShifouError('UNSUPPORTED_MEDIA_TYPE', 'The request is not valid')
  if (err.statusCode === 400) return new ShifouError('INVALID_BODY', 'The request is not valid')
  if (err.statusCode === 404) return new ShifouError('NOT_FOUND', 'Not found')
  return new ShifouError('INTERNAL', 'Internal error')
}

/**
 * A database that cannot be reached is a 503, not a 500: the client may retry. Driver codes, and
 * SQLSTATEs admin_shutdown, cannot_connect_now, too_many_connections, lock_not_available.
 */
const UNAVAILABLE = new Set([
  'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECT_TIMEOUT', 'CONNECTION_ENDED', '57P01', '57P03', '53300', '55P03'
])

function isUnavailable (err: unknown): boolean {
  const code = (err as { code?: string }).code
  return code !== undefined && UNAVAILABLE.has(code)
}

export function sendProblem (reply: FastifyReply, err: ShifouError): FastifyReply {
  const body: Record<string, unknown> = {
    type: 'https://shifou.invalid/problems/' + err.code.toLowerCase().replaceAll('_', '-'),
    title: ERRORS[err.code].title,
    status: err.status,
    code: err.code,
    detail: err.status >= 500 && err.code === 'INTERNAL' ? 'Internal error' : err.detail,
    ...(err.extra ?? {})
  }
  if (err.code === 'QUOTA_EXCEEDED' && typeof err.extra?.retryAfter === 'number') {
    reply.header('retry-after', String(err.extra.retryAfter))
  }
  return reply.code(err.status).type('application/problem+json; charset=utf-8').send(body)
}

export default fp(async (app) => {
  app.decorateReply('problem', function (this: FastifyReply, err: ShifouError) {
    app.events.emit('problem', { code: err.code, status: err.status })
    return sendProblem(this, err)
  })

  /** The problem an error thrown by a route or by fastify is answered with. */
  const problemOf = (error: FastifyError | ShifouError, request: FastifyRequest): ShifouError => {
    if (isShifouError(error)) return error
    if (isUnavailable(error)) {
      return new ShifouError('DATABASE_UNAVAILABLE', 'The database is unavailable or busy; retry later')
    }
    if ((error.statusCode !== undefined && error.statusCode < 500) || error.validation !== undefined) {
      return fromFastify(error)
    }
    // Only the error's class and code reach the log: a driver message may quote a value.
    request.log.error({ errName: error.name, errCode: error.code }, 'unhandled error')
    return new ShifouError('INTERNAL')
  }

  app.setErrorHandler(async (error: FastifyError | ShifouError, request: FastifyRequest, reply: FastifyReply) => {
    let err = problemOf(error, request)
    const refusal = err.status === 403 || err.status === 429 || err.status === 503
    if (refusal && request.principal !== null && err.code !== 'AUDIT_UNAVAILABLE') {
      try {
        await app.audit.append([{
          kind: 'refusal',
          actor: actorOf(request.principal),
          code: err.code,
          detail: { method: request.method, route: request.routeOptions.url ?? '' }
        }])
      } catch {
        // A database that does not answer keeps its own code: the refusal could not be audited either.
        if (err.code !== 'DATABASE_UNAVAILABLE') {
          err = new ShifouError('AUDIT_UNAVAILABLE', 'The audit log cannot be written')
        }
      }
    }
    return reply.problem(err)
  })

  app.setNotFoundHandler(async (_request, reply) => reply.problem(new ShifouError('NOT_FOUND', 'No such route')))
}, { name: 'errors', dependencies: ['audit', 'events'] })
