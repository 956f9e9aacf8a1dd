/**
 * How long the service waits on PostgreSQL (design §14.5), derived from one setting,
 * SHIFOU_DB_TIMEOUT_MS: the client's deadline for a statement or transaction, and the server-side
 * limits a little below it.
 */
import type { ShifouError } from '../errors.ts'
import { unavailable } from './unavailable.ts'

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

/**
 * The moment a request's wait on the database ends (epoch ms): its arrival plus the deadline; null
 * on PGlite, which has none. `elapsedMs` is how long ago the request arrived.
 */
export function requestDeadline (timeoutMs: number | null, elapsedMs: number): number | null {
  return timeoutMs === null ? null : Date.now() - elapsedMs + timeoutMs
}

/**
 * A request never waits on the database longer than SHIFOU_DB_TIMEOUT_MS in all (design §14.5),
 * though it waits on it in turn: for the registry, the limiter, the lookups and its audit entry,
 * each bounded by the deadline on its own. Chained, those waits could add up: a limiter that waited
 * out its deadline, then a refusal's entry that became the breaker's trial and waited for a new
 * connection, made a request of 7.7 s in the fault suite. So the request as a whole is refused
 * with DATABASE_UNAVAILABLE at `deadlineAt`, and `work` goes on unobserved: an entry it commits
 * afterwards is in the log without its answer having been given, never the other way round.
 *
 * Why not Fastify's own `handlerTimeout` route option: it answers 503 at the deadline but lets the
 * handler run on to its end, which then sends the late result into a reply already sent (a
 * warning logged for each of the thousands of requests of an outage) and counts the answers that
 * were never given in the metrics; here the late result is dropped where it arrives.
 */
export async function beforeDeadline<T> (deadlineAt: number | null, work: Promise<T>): Promise<T> {
  if (deadlineAt === null) return await work
  const late = (): ShifouError => unavailable('The database did not answer in time; no answer was given, retry shortly')
  const left = deadlineAt - Date.now()
  // Already past: refused now, not by a timer. When the requests that waited on one stalled
  // statement are all refused at once, a timer would put this one behind every other.
  if (left <= 0) {
    work.catch(() => {})
    throw late()
  }
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(late()) }, left) })
  try {
    return await Promise.race([work, timedOut])
  } finally {
    clearTimeout(timer)
    work.catch(() => {})
  }
}
