/**
 * What every pull engine shares (design §14.2): the source as registered, the declared columns a
 * query's result must have, and the errors an engine answers with. An engine reads only the
 * declared columns — it wraps the department's query as `select <declared> from (<query>) as
 * shifou_source` — so the columns the connector does not declare never leave the department's
 * database, and it streams the rows as CSV text (a header of the declared columns, then one line a
 * row) that the loader reads like an uploaded file, never holding the result in memory.
 */
import type { Readable } from 'node:stream'
import { ShifouError } from '../../errors.ts'
import { headerKey, listed, type ColumnSpec } from '../columns.ts'

export const ENGINES = ['postgres', 'mysql'] as const
export type Engine = typeof ENGINES[number]

/** A pull connector's source as registered; `url` holds credentials and is stored sealed (secret.ts). */
export interface SourceSpec { engine: Engine, url: string, query: string }

/** The parts of a source that may be shown (GET /v1/connectors/:id): never the URL, its user or password. */
export interface SourceView { engine: Engine, host: string, database: string, query: string }

/** The result of a pull: the query's columns as the source names them, and its declared columns as CSV. */
export interface Pulled {
  columns: string[]
  /** CSV text: a header row of the declared columns (as `declaredColumns` gives them), then the rows */
  csv: Readable
}

/** An engine: connects, checks the query's columns against `declared`, then streams. */
export type PullEngine = (spec: SourceSpec, declared: readonly ColumnSpec[]) => Promise<Pulled>

const PROTOCOLS: Record<Engine, readonly string[]> = {
  postgres: ['postgres:', 'postgresql:'],
  mysql: ['mysql:', 'mariadb:']
}
export const MAX_QUERY_LENGTH = 20_000

/**
 * Checks a source at registration and returns what may be shown of it; INVALID_DEFINITION names
 * what is wrong, never the URL's text (it may hold a password).
 */
export function checkSource (spec: SourceSpec): SourceView {
  let url: URL
  try {
    url = new URL(spec.url)
  } catch {
    throw new ShifouError('INVALID_DEFINITION', 'source.url is not a URL; write it as ' +
      (spec.engine === 'postgres' ? 'postgres://user:password@host:5432/database' : 'mysql://user:password@host:3306/database'))
  }
  if (!PROTOCOLS[spec.engine].includes(url.protocol)) {
    throw new ShifouError('INVALID_DEFINITION', `source.url of engine ${spec.engine} must start with ` +
      PROTOCOLS[spec.engine].map((p) => p + '//').join(' or '))
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''))
  if (url.hostname === '' || database === '' || database.includes('/')) {
    throw new ShifouError('INVALID_DEFINITION', 'source.url must name a host and a database (…@host:port/database)')
  }
  const query = spec.query.trim()
  if (query === '' || query.length > MAX_QUERY_LENGTH) {
    throw new ShifouError('INVALID_DEFINITION', `source.query must be one SELECT of at most ${MAX_QUERY_LENGTH} ` +
      'characters (a view\'s name works: select * from my_view)')
  }
  return { engine: spec.engine, host: url.port === '' ? url.hostname : url.hostname + ':' + url.port, database, query }
}

/**
 * The query as a derived table: a trailing semicolon dropped, and a line break before the closing
 * parenthesis (for a query that ends in a `--` comment).
 */
export function innerQuery (query: string): string {
  return query.trim().replace(/;\s*$/, '') + '\n'
}

/**
 * For each declared column, the result column (as the source names it) that holds it: matched
 * after trimming and NFC as a file's headers are. SOURCE_COLUMN_MISSING lists what is missing and
 * what the query has; DUPLICATE_COLUMN when two result columns hold one declared column.
 */
export function matchColumns (result: readonly string[], declared: readonly ColumnSpec[]): string[] {
  const byKey = new Map<string, string[]>()
  for (const name of result) {
    const key = headerKey(name)
    byKey.set(key, [...(byKey.get(key) ?? []), name])
  }
  const missing = declared.filter((c) => !byKey.has(c.column))
  if (missing.length > 0) {
    const names = missing.map((c) => c.column === c.field ? c.column : `${c.column} (${c.field})`)
    const columns = listed(result)
    throw new ShifouError('SOURCE_COLUMN_MISSING', `Declared columns missing from the source query's result: ` +
      `${names.join(', ')}. The query's columns are: ${columns.join(', ')}. Add them to the query or view ` +
      '(`select 身份证号 as id_number, …`), or set `column` on the connector\'s fields to the names the query uses.',
    { missing: missing.map((c) => c.column), columns })
  }
  return declared.map((c) => {
    const names = byKey.get(c.column)!
    if (names.length > 1) {
      throw new ShifouError('DUPLICATE_COLUMN', `The source query's result has the column ${c.column} more than ` +
        'once; give each column of the query its own name (`as …`)', { duplicates: [c.column] })
    }
    return names[0]!
  })
}

/** Network-level failures to reach a source, by the code node or a driver gives them. */
const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (is the database running, and is the port right?)',
  ENOTFOUND: 'its host name does not resolve',
  EAI_AGAIN: 'its host name does not resolve',
  ETIMEDOUT: 'the connection timed out (a firewall, or the wrong host?)',
  CONNECT_TIMEOUT: 'the connection timed out (a firewall, or the wrong host?)',
  ABORT_ERR: 'the connection timed out (a firewall, or the wrong host?)',
  EHOSTUNREACH: 'its host is unreachable',
  ENETUNREACH: 'its network is unreachable',
  ECONNRESET: 'the connection was closed by the other side',
  EPIPE: 'the connection was closed by the other side',
  CONNECTION_CLOSED: 'the connection was closed by the other side',
  CONNECTION_ENDED: 'the connection was closed by the other side',
  CONNECTION_DESTROYED: 'the connection was closed by the other side',
  PROTOCOL_CONNECTION_LOST: 'the connection was closed by the other side',
  HANDSHAKE_NO_SSL_SUPPORT: 'the server does not offer TLS',
  HANDSHAKE_SSL_ERROR: 'the TLS handshake failed'
}

export function unreachable (why: string, during: 'connect' | 'stream' = 'connect'): ShifouError {
  return new ShifouError('SOURCE_UNREACHABLE', (during === 'connect'
    ? 'The source database could not be reached: '
    : 'The connection to the source database was lost during the sync: ') + why +
    '. Nothing was changed; the active snapshot keeps answering. Check the connector\'s source (host, port, ' +
    'user and password: PUT /v1/connectors/:id with the source again) and that this service may reach it.')
}

/** The network failure an error is, if it is one. */
export function networkFailure (err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? UNREACHABLE[code] ?? null : null
}

/** A failure of the query itself; `message` only when the engine's message quotes the query, never data. */
export function queryFailed (engineCode: string, message: string | null): ShifouError {
  return new ShifouError('SOURCE_QUERY_FAILED', `The source database refused the connector's query (${engineCode}` +
    (message === null ? ')' : `: ${message})`) + '. Nothing was changed; the active snapshot keeps answering. ' +
    'Correct source.query (PUT /v1/connectors/:id); try it in the department\'s own SQL client first.',
  { sourceCode: engineCode })
}
