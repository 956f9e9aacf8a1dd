/**
 * Whether an error means the database cannot be reached or is refusing work for now (restarting,
 * shutting down, out of connections): a 503 DATABASE_UNAVAILABLE that the client may retry, not a
 * 500. postgres.js names lost connections by `code`; PostgreSQL's SQLSTATE class 08 is a connection
 * exception, 57P01-57P03 an administrator shutdown, a crash shutdown and "cannot connect now".
 */
// Socket codes such as ECONNRESET are left out: an upload cut off by its client raises them too.
const CODES = new Set([
  'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  '57P01', '57P02', '57P03', '53300', '55P03'
])

export function isDatabaseUnavailable (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))
}

/** Socket errors: from a database connection (not from an upload) they mean the database is gone. */
const SOCKET = new Set([
  'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTCONN', 'ERR_STREAM_DESTROYED'
])

/**
 * Whether an error raised by a database call (a query, a COPY stream) means the connection or the
 * server failed. Only for errors known to come from the database: an upload's own socket raises the
 * same codes.
 */
export function isConnectionFailure (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return isDatabaseUnavailable(err) || (typeof code === 'string' && SOCKET.has(code))
}
