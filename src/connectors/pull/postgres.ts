/**
 * The `postgres` engine (design §14.2): PostgreSQL and its protocol family (openGauss, KingbaseES,
 * PolarDB) through postgres.js. The query is described first (Parse/Describe: its result columns
 * without running it, so a bad query or a missing column is refused before any row moves), then
 * `COPY (select <declared> from (<query>) as shifou_source) TO STDOUT (FORMAT csv, HEADER)` runs in
 * a read-only transaction and its bytes are streamed on as they come: the server writes the CSV,
 * this process only passes it on, with the socket's backpressure. Booleans, dates and timestamps
 * are cast to text forms the loader reads whatever the server's DateStyle (timestamps in China
 * Standard Time, the session's time zone).
 */
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { PassThrough } from 'node:stream'
import postgres from 'postgres'
import { ShifouError } from '../../errors.ts'
import type { ColumnSpec } from '../columns.ts'
import {
  innerQuery, matchColumns, networkFailure, queryFailed, unreachable, type Pulled, type SourceSpec
} from './source.ts'

const CONNECT_TIMEOUT_S = 10
const OID = { bool: 16, date: 1082, timestamp: 1114, timestamptz: 1184 }

const ident = (name: string): string => '"' + name.replaceAll('"', '""') + '"'

/** A column of the result as the loader reads it: booleans as true/false, dates and times in ISO form. */
function selectItem (name: string, type: number, alias: string): string {
  const c = 'shifou_source.' + ident(name)
  const expr = type === OID.bool
    ? `${c}::text`
    : type === OID.date
      ? `to_char(${c}, 'YYYY-MM-DD')`
      : type === OID.timestamp || type === OID.timestamptz
        ? `to_char(${c}, 'YYYY-MM-DD HH24:MI:SS')`
        : c
  return `${expr} as ${ident(alias)}`
}

/** The error a failure of the source is: unreachable (connection, authentication, database) or the query. */
export function postgresError (err: unknown, during: 'connect' | 'stream'): ShifouError {
  if (err instanceof ShifouError) return err
  const net = networkFailure(err)
  if (net !== null) return unreachable(net, during)
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) {
    return unreachable('the connection failed', during)
  }
  if (code.startsWith('28')) return unreachable('the user name or password was refused', during)
  if (code === '3D000') return unreachable('the database named in the URL does not exist', during)
  if (code.startsWith('08') || code.startsWith('57P')) return unreachable('the server closed the connection', during)
  // Class 42 (syntax error or access rule violation) quotes the query's own text and names; other
  // messages may quote a value of the data, so only their SQLSTATE is given.
  const message = (err as { message?: unknown }).message
  return queryFailed('SQLSTATE ' + code, code.startsWith('42') && typeof message === 'string' ? message : null)
}

/**
 * Passes `rows` on to `out` with backpressure. When the reader of `out` went away, what `rows`
 * still brings is discarded until it ends (the caller cancels the source's query or closes its
 * connection). A failure of `rows` is thrown, for the caller to map.
 */
export async function forward (rows: AsyncIterable<unknown>, out: PassThrough): Promise<void> {
  const writable = (): Promise<void> => new Promise((resolve) => {
    const done = (): void => { out.off('drain', done); out.off('close', done); resolve() }
    out.on('drain', done)
    out.on('close', done)
  })
  for await (const chunk of rows) {
    if (out.destroyed) continue
    if (!out.write(chunk)) await writable()
  }
  if (!out.destroyed) out.end()
}

export async function pullPostgres (spec: SourceSpec, declared: readonly ColumnSpec[]): Promise<Pulled> {
  // The client's socket is made here so that it can be resumed and destroyed: postgres.js ends a
  // socket it has paused for backpressure, and a paused socket never reads the server's end.
  const sockets: Socket[] = []
  const options = {
    socket: async (o: { host: string[], port: number[], path?: string | false }) => {
      const socket = o.path ? connect(o.path) : connect(o.port[0]!, o.host[0]!)
      sockets.push(socket)
      try {
        await once(socket, 'connect', { signal: AbortSignal.timeout(CONNECT_TIMEOUT_S * 1000) })
      } catch (err) {
        socket.destroy()
        throw err
      }
      return socket
    },
    max: 1,
    connect_timeout: CONNECT_TIMEOUT_S,
    idle_timeout: 0,
    prepare: false,
    onnotice: () => {},
    connection: { application_name: 'shifou-pull', TimeZone: 'Asia/Shanghai' }
  }
  // `socket` is an option of postgres.js that its types do not declare.
  const sql = postgres(spec.url, options as postgres.Options<Record<string, postgres.PostgresType>>)
  const close = (): void => {
    sql.end({ timeout: 0 }).catch(() => {})
    // Reading on lets a socket paused mid-COPY see the server's end (what arrives is discarded);
    // one that still has not closed a little later is destroyed, once the client is done with it.
    for (const socket of sockets) socket.resume()
    setTimeout(() => { for (const socket of sockets) socket.destroy() }, 2000).unref()
  }
  const inner = innerQuery(spec.query)
  let copy: string
  let columns: string[]
  try {
    const described = await sql.unsafe(`select * from (${inner}) as shifou_source`).describe()
    columns = described.columns.map((c) => c.name)
    const names = matchColumns(columns, declared)
    const types = new Map(described.columns.map((c) => [c.name, c.type]))
    const list = names.map((n, i) => selectItem(n, types.get(n)!, declared[i]!.column)).join(', ')
    copy = `copy (select ${list} from (${inner}) as shifou_source) to stdout (format csv, header)`
  } catch (err) {
    close()
    throw postgresError(err, 'connect')
  }
  const out = new PassThrough()
  let started: () => void
  let failedToStart: (err: unknown) => void
  const ready = new Promise<void>((resolve, reject) => { started = resolve; failedToStart = reject })
  sql.begin('read only', async (tx) => {
    const rows = await tx.unsafe(copy).readable()
    // A reader that stops early (a failed load) ends the connection, and with it the COPY.
    out.on('close', () => { if (!out.readableEnded) close() })
    started()
    await forward(rows, out)
  }).catch((err: unknown) => {
    failedToStart(err)
    if (!out.destroyed) out.destroy(postgresError(err, 'stream'))
  }).finally(close)
  try {
    await ready
  } catch (err) {
    throw postgresError(err, 'connect')
  }
  return { columns, csv: out }
}
