/**
 * Which driver errors mean "the database cannot answer now" (503 DATABASE_UNAVAILABLE, the client
 * may retry) rather than a fault of the statement, and which of those also mean the connection or
 * the server is gone (the breaker opens, the connection is discarded).
 */
import { ShifouError } from '../errors.ts'

/** The connection is gone or never came up: socket errors and postgres.js's own connection errors. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH',
  'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED'
])

/**
 * SQLSTATEs of a server that is going away or cannot take the connection: class 08 (connection
 * exception), 57P01 admin_shutdown (a fast or immediate restart), 57P02 crash_shutdown, 57P03
 * cannot_connect_now (starting up, in recovery), 53300 too_many_connections.
 */
const SERVER_GONE = new Set(['57P01', '57P02', '57P03', '53300'])

/**
 * SQLSTATEs of a server that is up but did not finish the statement: 57014 query_canceled (our
 * statement_timeout), 55P03 lock_not_available (our lock_timeout), 25P03 idle-in-transaction
 * timeout, 53000/53100/53200 insufficient resources, disk full, out of memory.
 */
const SERVER_BUSY = new Set(['57014', '55P03', '25P03', '53000', '53100', '53200'])

function codeOf (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

/** The connection or the server is gone: discard the connection, open the breaker. */
export function isConnectionFailure (err: unknown): boolean {
  const code = codeOf(err)
  return CONNECTION_ERRORS.has(code) || SERVER_GONE.has(code) || (code.length === 5 && code.startsWith('08'))
}

/** Any error after which the right answer is 503 DATABASE_UNAVAILABLE. */
export function isUnavailable (err: unknown): boolean {
  return isConnectionFailure(err) || SERVER_BUSY.has(codeOf(err)) || codeOf(err) === 'CONNECTION_ENDED' ||
    (err instanceof ShifouError && err.code === 'DATABASE_UNAVAILABLE')
}

/** A PostgreSQL error response: whatever it says, the server was there to say it. */
export function fromServer (err: unknown): boolean {
  return typeof (err as { severity?: unknown } | null)?.severity === 'string' && codeOf(err).length === 5
}

export function unavailable (detail: string): ShifouError {
  return new ShifouError('DATABASE_UNAVAILABLE', detail)
}
