/**
 * Errors as application/problem+json with a stable code (design §5). A 5xx says nothing internal.
 * A refusal (403, 429, 503) of an authenticated request that the route did not already audit is
 * written to the audit log here; if that write fails, the answer is 503 AUDIT_UNAVAILABLE.
 * Nothing a client sent (identifiers, names, tokens) is echoed or logged.
 */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, isShifouError, ShifouError, type ErrorCode } from '../../errors.ts'
import { actorOf } from '../../principal.ts'
import { isDatabaseUnavailable } from '../../db/unavailable.ts'

declare module 'fastify' {
  interface FastifyInstance {
    onProblem?: (code: ErrorCode, status: number) => void
  }
}

function fromFastify (err: FastifyError): ShifouError {
  if (err.validation !== undefined) {
    const first = err.validation[0]
    const where = err.validationContext ?? 'body'
    if (first?.keyword === 'additionalProperties' || first?.keyword === 'unevaluatedProperties') {
      return new ShifouError('UNKNOWN_FIELD', `${where}${first.instancePath} has a field that is not part of the API`)
    }
    const code: ErrorCode = where === 'querystring' ? 'INVALID_QUERY' : where === 'params' ? 'NOT_FOUND' : 'INVALID_BODY'
    // Ajv's message names the rule broken (type, pattern, length), never the value sent.
    return new ShifouError(code, `${where}${first?.instancePath ?? ''} ${first?.message ?? 'is not valid'}`)
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ShifouError('PAYLOAD_TOO_LARGE', 'The request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH': return new ShifouError('UNSUPPORTED_MEDIA_TYPE', 'This content type is not accepted here')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return new ShifouError('INVALID_BODY', 'The body is not valid JSON')
  }
  if (err.statusCode === 400 || err.statusCode === 413 || err.statusCode === 415) {
    return new ShifouError(err.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : err.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_BODY', 'The request is not valid')
  }
  if (err.statusCode === 404) return new ShifouError('NOT_FOUND', 'Not found')
  return new ShifouError('INTERNAL', 'Internal error')
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
  if (err.code === 'QUOTA_EXCEEDED' && typeof err.extra?.retryAfter === 'number') reply.header('retry-after', String(err.extra.retryAfter))
  return reply.code(err.status).type('application/problem+json; charset=utf-8').send(body)
}

const DATABASE_DOWN = 'The database is unavailable or busy; retry later'

export default fp(async (app) => {
  app.setErrorHandler(async (error: FastifyError | ShifouError, request: FastifyRequest, reply: FastifyReply) => {
    let err: ShifouError
    if (isShifouError(error)) err = error
    else if (isDatabaseUnavailable(error)) err = new ShifouError('DATABASE_UNAVAILABLE', DATABASE_DOWN)
    else if ((error as FastifyError).statusCode !== undefined && (error as FastifyError).statusCode! < 500) err = fromFastify(error as FastifyError)
    else if ((error as FastifyError).validation !== undefined) err = fromFastify(error as FastifyError)
    else {
      // Only the error's class and code reach the log: a driver message may quote a value.
      request.log.error({ errName: (error as Error).name, errCode: (error as { code?: unknown }).code }, 'unhandled error')
      err = new ShifouError('INTERNAL')
    }
    if ((err.status === 403 || err.status === 429 || err.status === 503) && request.principal !== null && !err.audited && err.code !== 'AUDIT_UNAVAILABLE') {
      try {
        await app.services.audit.append([{
          kind: 'refusal',
          actor: actorOf(request.principal),
          code: err.code,
          detail: { method: request.method, route: request.routeOptions.url ?? '' }
        }])
      } catch {
        // The audit log lives in the database: when the database is what failed, say so.
        if (err.code !== 'DATABASE_UNAVAILABLE') {
          err = new ShifouError('AUDIT_UNAVAILABLE', 'The audit log cannot be written')
        }
      }
    }
    app.onProblem?.(err.code, err.status)
    return sendProblem(reply, err)
  })

  app.setNotFoundHandler(async (request, reply) => {
    app.onProblem?.('NOT_FOUND', 404)
    return sendProblem(reply, new ShifouError('NOT_FOUND', 'No such route'))
  })
}, { name: 'errors', dependencies: ['services'] })
