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
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ERRORS, isShifouError, ShifouError } from '../../errors.ts'
import { validationProblem } from '../validation-problem.ts'
import { actorOf } from '../../principal.ts'
import { beforeDeadline, requestDeadline } from '../../db/timeouts.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media types of the route's body, named by its 415 (default application/json). */
    accepts?: readonly string[]
  }
  interface FastifyReply {
    /** Sends an error that needs no audit entry (already written, or none due) as a problem document. */
    problem: (err: ShifouError) => FastifyReply
  }
}

/** The media types a route takes (`config.accepts`, default JSON), named by its 415. */
export function unsupportedMediaType (request: FastifyRequest, why?: string): ShifouError {
  const accepted = request.routeOptions.config?.accepts ?? ['application/json']
  const how = accepted.length === 1 && accepted[0] === 'application/json'
    ? 'Send the body as application/json in UTF-8 (Content-Type: application/json)'
    : `Send the body as ${accepted.join(' or ')}`
  return new ShifouError('UNSUPPORTED_MEDIA_TYPE', why === undefined ? how : `${why}. ${how}`, { accepted })
}

function fromFastify (err: FastifyError, request: FastifyRequest): ShifouError {
  if (err.validation !== undefined) {
    // Ajv's errors name the rule broken (type, pattern, length), never the value sent.
    return validationProblem(err.validation, err.validationContext ?? 'body')
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return new ShifouError('PAYLOAD_TOO_LARGE', 'The request body is too large')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return unsupportedMediaType(request, 'This content type is not accepted here')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return new ShifouError('INVALID_BODY', 'The body is not valid JSON')
  }
  if (err.statusCode === 413) return new ShifouError('PAYLOAD_TOO_LARGE', 'The request is not valid')
  if (err.statusCode === 415) return unsupportedMediaType(request)
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

/** The problem document (RFC 9457) of an error: also each refused item of a batch. */
export function problemBody (err: ShifouError): Record<string, unknown> {
  return {
    type: 'https://shifou.invalid/problems/' + err.code.toLowerCase().replaceAll('_', '-'),
    title: ERRORS[err.code].title,
    status: err.status,
    code: err.code,
    detail: err.status >= 500 && err.code === 'INTERNAL' ? 'Internal error' : err.detail,
    ...(err.extra ?? {})
  }
}

export function sendProblem (reply: FastifyReply, err: ShifouError): FastifyReply {
  const body = problemBody(err)
  if (typeof err.extra?.retryAfter === 'number') {
    reply.header('retry-after', String(err.extra.retryAfter))
  }
  return reply.code(err.status).type('application/problem+json; charset=utf-8').send(body)
}

/**
 * Fastify's `frameworkErrors`: a URL that is not valid percent-encoding, or a path parameter over
 * the router's length, answered as a problem like every refusal — Fastify's own body quotes the
 * path, which may hold an ID number.
 */
export function frameworkErrors (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const err = error.code === 'FST_ERR_BAD_URL'
    ? new ShifouError('INVALID_URL', 'The URL is not valid: check its percent-encoding')
    : new ShifouError('NOT_FOUND', 'No such route')
  void sendProblem(reply, err)
}

/**
 * Fastify's `clientErrorHandler`: a request Node could not parse as HTTP (malformed, headers over
 * the limit, too slow to arrive) gets a problem body too, written on the socket, which then closes.
 */
export function clientErrorHandler (err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const e = err.code === 'HPE_HEADER_OVERFLOW'
    ? new ShifouError('HEADERS_TOO_LARGE', 'The request headers are larger than the service accepts')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ShifouError('REQUEST_TIMEOUT', 'The request did not arrive in time')
      : new ShifouError('INVALID_REQUEST', 'The request is not valid HTTP/1.1')
  const body = JSON.stringify({
    type: 'https://shifou.invalid/problems/' + e.code.toLowerCase().replaceAll('_', '-'),
    title: ERRORS[e.code].title,
    status: e.status,
    code: e.code,
    detail: e.detail
  })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\nConnection: close\r\n` +
      `Content-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n` +
      body)
  }
  socket.destroy()
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
      return fromFastify(error, request)
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
        // Within what is left of the request's deadline: a request refused because the database
        // did not answer in time must not then wait for its refusal's entry as long again.
        await beforeDeadline(requestDeadline(app.database.timeoutMs, reply.elapsedTime), app.audit.append([{
          kind: 'refusal',
          actor: actorOf(request.principal),
          code: err.code,
          detail: { method: request.method, route: request.routeOptions.url ?? '' }
        }]))
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
}, { name: 'errors', dependencies: ['database', 'audit', 'events'] })
