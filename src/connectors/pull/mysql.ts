/**
 * The `mysql` engine (design §14.2): MySQL and its family (MariaDB, TiDB, OceanBase in MySQL mode)
 * through mysql2. The query's columns come from `select * from (<query>) as shifou_source limit 0`
 * (a bad query or a missing column is refused before any row moves); then the declared columns
 * are read in a read-only transaction with a consistent snapshot, as a stream whose backpressure
 * pauses the socket, and written on as CSV text a batch at a time. Dates and times come as the
 * server writes them (`dateStrings`, the session in China Standard Time), big integers and
 * decimals as their digits, never through a JavaScript number.
 */
import { PassThrough } from 'node:stream'
import mysql from 'mysql2'
import type { FieldPacket } from 'mysql2'
import { ShifouError } from '../../errors.ts'
import type { ColumnSpec } from '../columns.ts'
import { forward } from './postgres.ts'
import {
  innerQuery, matchColumns, networkFailure, queryFailed, unreachable, type Pulled, type SourceSpec
} from './source.ts'

const CONNECT_TIMEOUT_MS = 10_000
/** mysql2's column type of BIT */
const BIT = 16
/** CSV text is handed on in pieces of about this many characters. */
const CHUNK = 65_536
/** Errors whose message quotes the query's own text or names, never a value of the data. */
const QUOTES_QUERY = new Set([
  'ER_PARSE_ERROR', 'ER_NO_SUCH_TABLE', 'ER_BAD_FIELD_ERROR', 'ER_TABLEACCESS_DENIED_ERROR',
  'ER_COLUMNACCESS_DENIED_ERROR', 'ER_SP_DOES_NOT_EXIST', 'ER_NON_UNIQ_ERROR', 'ER_DERIVED_MUST_HAVE_ALIAS',
  'ER_DUP_FIELDNAME', 'ER_VIEW_INVALID', 'ER_WRONG_FIELD_WITH_GROUP'
])

const ident = (name: string): string => '`' + name.replaceAll('`', '``') + '`'

export function mysqlError (err: unknown, during: 'connect' | 'stream'): ShifouError {
  if (err instanceof ShifouError) return err
  const net = networkFailure(err)
  if (net !== null) return unreachable(net, during)
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string') return unreachable('the connection failed', during)
  if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR' ||
    code === 'ER_NOT_SUPPORTED_AUTH_MODE') {
    return unreachable('the user name or password was refused', during)
  }
  if (code === 'ER_BAD_DB_ERROR') return unreachable('the database named in the URL does not exist', during)
  const message = (err as { message?: unknown }).message
  return queryFailed(code, QUOTES_QUERY.has(code) && typeof message === 'string' ? message : null)
}

/** One cell as CSV: quoted when it holds a comma, quote or line break; null as an empty cell. */
function csvCell (value: unknown, bit: boolean): string {
  if (value === null || value === undefined) return ''
  let s: string
  if (Buffer.isBuffer(value)) {
    s = bit ? BigInt('0x' + (value.toString('hex') || '0')).toString() : value.toString('utf8')
  } else if (typeof value === 'object') {
    s = JSON.stringify(value)
  } else {
    s = String(value)
  }
  return /[",\r\n]/.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s
}

export async function pullMysql (spec: SourceSpec, declared: readonly ColumnSpec[]): Promise<Pulled> {
  const conn = mysql.createConnection({
    uri: spec.url,
    connectTimeout: CONNECT_TIMEOUT_MS,
    rowsAsArray: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    timezone: '+08:00'
  })
  // A connection failure is also emitted as an event; the awaited calls below report it.
  conn.on('error', () => {})
  const close = (): void => { conn.destroy() }
  const p = conn.promise()
  const inner = innerQuery(spec.query)
  let columns: string[]
  let select: string
  let bits: boolean[]
  try {
    await p.query("SET time_zone = '+08:00'")
    await p.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')
    const [, fields] = await p.query(`select * from (${inner}) as shifou_source limit 0`)
    const described = fields as FieldPacket[]
    columns = described.map((f) => f.name)
    const names = matchColumns(columns, declared)
    const types = new Map(described.map((f) => [f.name, f.columnType ?? f.type]))
    bits = names.map((n) => types.get(n) === BIT)
    select = `select ${names.map((n) => 'shifou_source.' + ident(n)).join(', ')} from (${inner}) as shifou_source`
  } catch (err) {
    close()
    throw mysqlError(err, 'connect')
  }
  const header = declared.map((c) => csvCell(c.column, false)).join(',') + '\n'
  async function * csv (): AsyncGenerator<string> {
    let text = header
    for await (const row of conn.query(select).stream({ highWaterMark: 1000 })) {
      const cells = row as unknown[]
      let line = csvCell(cells[0], bits[0]!)
      for (let i = 1; i < cells.length; i++) line += ',' + csvCell(cells[i], bits[i]!)
      text += line + '\n'
      if (text.length >= CHUNK) { yield text; text = '' }
    }
    if (text !== '') yield text
  }
  const out = new PassThrough()
  out.on('close', () => { if (!out.readableEnded) close() })
  forward(csv(), out)
    .then(async () => { await p.query('COMMIT').catch(() => {}) })
    .catch((err: unknown) => { if (!out.destroyed) out.destroy(mysqlError(err, 'stream')) })
    .finally(close)
  return { columns, csv: out }
}
