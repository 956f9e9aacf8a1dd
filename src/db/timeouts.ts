/**
 * How long the service waits on PostgreSQL (design §14.5), derived from one setting,
 * SHIFOU_DB_TIMEOUT_MS: the client's deadline for a statement or transaction, and the server-side
 * limits a little below it.
 */

/** The default of SHIFOU_DB_TIMEOUT_MS. */
export const DEFAULT_DB_TIMEOUT_MS = 5000

/**
 * The server-side limits of a connection that serves requests. The server gives up a little before
 * the client does, so that a slow statement, or one waiting for a lock, is answered with an error
 * (57014) on a connection that stays usable; the client's own deadline is for a server that cannot
 * answer at all. statement_timeout counts lock waits too, so lock_timeout is left as the database
 * or role sets it (a lower one stays in force: startup parameters override those settings). A
 * session idle in a transaction for the whole deadline belongs to a client that has given up or
 * vanished (while holding, perhaps, the audit log's lock): the server ends it.
 */
export function serverLimits (timeoutMs: number): Record<string, number> {
  const server = timeoutMs - Math.min(500, Math.floor(timeoutMs / 5))
  return { statement_timeout: server, idle_in_transaction_session_timeout: timeoutMs }
}

/**
 * A connection attempt gives up after 2 s (or the deadline, if shorter): a server that accepts
 * connections answers a startup in milliseconds, and a stalled one would otherwise hold the
 * attempt for postgres.js's default of 30 s.
 */
export function connectTimeoutMs (timeoutMs: number): number {
  return Math.min(timeoutMs, 2000)
}
