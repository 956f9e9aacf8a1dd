/**
 * Streaming a snapshot body into rows: CSV (RFC 4180, header row of field names) or NDJSON (one
 * object a line). Neither holds the file in memory; both report the 1-based line of the file as
 * sent (for a CSV record spanning lines, its first line). Rows come in batches, one per chunk of
 * input, so that the per-row cost is plain synchronous code: per-row promises and csv-parse's
 * line bookkeeping were two thirds of the loader's time in a profile of 300,000 rows.
 */
import type { Readable } from 'node:stream'
import { headerKey } from './columns.ts'

export type SnapshotFormat = 'csv' | 'ndjson'

export type SourceRow =
  | { line: number, kind: 'csv', cells: string[] }
  /**
   * `count` whole CSV lines from `line` on, as read: no quote in them, separated by LF or CRLF,
   * without the last line break; blank ones included. Splitting them into cells is left to the
   * converter (in a worker thread of a large load), so that the loading thread does not make
   * an object a row and a string a cell for the worker to copy.
   */
  | { line: number, kind: 'csvLines', text: string, count: number }
  | { line: number, kind: 'json', value: Record<string, unknown> }
  | { line: number, kind: 'malformed' }

export interface RowSource {
  /** how cells are read: `csv` text cells (every declared column required), `ndjson` JSON values */
  format: SnapshotFormat
  /** CSV: the header's column names; NDJSON: the keys of the first object (null when empty). */
  columns: string[] | null
  batches: AsyncIterable<SourceRow[]>
}

/** A record longer than this is malformed (and would otherwise grow the buffer without bound). */
const MAX_RECORD = 1024 * 1024

/** The file cannot be read as rows at all; the message names a line, never the text. */
export class MalformedInput extends Error {}

/** The text encodings a snapshot may come in (design §14.1 "Encodings"). */
export type TextEncoding = 'utf-8' | 'gb18030'

/**
 * The encoding of a `charset` parameter (absent: UTF-8); null for one that is not supported.
 * GBK and GB2312 are subsets of GB18030, so all three are decoded as GB18030.
 */
export function encodingOf (charset: string | null | undefined): TextEncoding | null {
  if (charset === null || charset === undefined) return 'utf-8'
  switch (charset.trim().replace(/^"(.*)"$/, '$1').toLowerCase()) {
    case 'utf-8': case 'utf8': case 'us-ascii': return 'utf-8'
    case 'gb18030': case 'gbk': case 'gb2312': case 'x-gbk': case 'cp936': case 'windows-936': return 'gb18030'
    default: return null
  }
}

/** The bytes are not text in the encoding: `line` is where the first bad bytes are. */
export class EncodingError extends MalformedInput {
  readonly line: number
  readonly encoding: TextEncoding
  readonly utf16: boolean

  constructor (line: number, encoding: TextEncoding, utf16 = false) {
    const name = encoding === 'utf-8' ? 'UTF-8' : 'GB18030'
    super(utf16 ? 'the file is UTF-16' : `the file is not valid ${name} at line ${line}`)
    this.line = line
    this.encoding = encoding
    this.utf16 = utf16
  }
}

/** A line longer than this many bytes cannot be a record of at most MAX_RECORD characters. */
const MAX_LINE_BYTES = 4 * MAX_RECORD + 4
const LF = 0x0a

function newlines (buf: Uint8Array, end = buf.length): number {
  let n = 0
  for (let i = buf.indexOf(LF); i !== -1 && i < end; i = buf.indexOf(LF, i + 1)) n++
  return n
}

/**
 * Text chunks of the input in its encoding; invalid bytes are an error naming their line, never
 * U+FFFD. Neither UTF-8 nor GB18030 uses the byte 0x0A inside a character, so the input is decoded
 * up to its last line feed in each chunk, with the rest kept for the next: every decode is whole,
 * and a failure is found again line by line to name the line, without holding more than a chunk
 * and one line.
 */
async function * text (input: Readable, encoding: TextEncoding = 'utf-8'): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true })
  let carry: Buffer | null = null
  let line = 1
  let first = true
  const decode = (bytes: Uint8Array): string => {
    try {
      return decoder.decode(bytes)
    } catch (err) {
      if (!(err instanceof TypeError)) throw err
      let start = 0
      for (let k = 0; ; k++) {
        const nl = bytes.indexOf(LF, start)
        const end = nl === -1 ? bytes.length : nl
        try {
          decoder.decode(bytes.subarray(start, end))
        } catch {
          throw new EncodingError(line + k, encoding)
        }
        if (nl === -1) throw new EncodingError(line + k, encoding)
        start = nl + 1
      }
    }
  }
  for await (const chunk of input) {
    if (typeof chunk === 'string') {
      yield first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk
      first = false
      continue
    }
    const buf: Buffer = carry === null ? chunk as Buffer : Buffer.concat([carry, chunk as Buffer])
    if (first && buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
      throw new EncodingError(1, encoding, true)
    }
    const nl = buf.lastIndexOf(LF)
    if (nl === -1) {
      if (buf.length > MAX_LINE_BYTES) throw new MalformedInput(`line ${line} is longer than ${MAX_RECORD} characters`)
      carry = buf
      continue
    }
    const piece = buf.subarray(0, nl + 1)
    carry = nl + 1 < buf.length ? buf.subarray(nl + 1) : null
    let s = decode(piece)
    if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1)
    first = false
    line += newlines(piece)
    yield s
  }
  if (carry !== null) {
    let s = decode(carry)
    if (first && s.charCodeAt(0) === 0xfeff) s = s.slice(1)
    yield s
  }
}

/**
 * Parses one CSV record starting at `pos` of `buf`. Returns the cells, the position after the
 * record's line break and the number of lines it took; or null if the record is not complete in
 * `buf` (more input is needed, unless `final`). `quote` is the position of the first quote at or
 * after `pos` (-1: none): the caller finds it once for many records, where looking for it on
 * every record scanned the rest of a quote-free chunk each time.
 */
function csvRecord (
  buf: string,
  pos: number,
  final: boolean,
  line: number,
  quote: number
): { cells: string[], next: number, lines: number } | null {
  const nl = buf.indexOf('\n', pos)
  const end = nl === -1 ? (final ? buf.length : -1) : nl
  if (end === -1) return null
  if (quote === -1 || quote > end) {
    // The common case: no quotes on the line.
    let text = buf.slice(pos, end)
    if (text.endsWith('\r')) text = text.slice(0, -1)
    return { cells: text.split(','), next: nl === -1 ? buf.length : nl + 1, lines: 1 }
  }
  const cells: string[] = []
  let cell = ''
  let i = pos
  let lines = 1
  let quoted = false
  let fieldStart = true
  for (;;) {
    if (i >= buf.length) {
      if (!final) return null
      if (quoted) throw new MalformedInput(`a quoted cell that starts on line ${line} runs to the end of the file`)
      cells.push(cell)
      return { cells, next: i, lines }
    }
    const c = buf[i]!
    if (quoted) {
      if (c === '"') {
        if (i + 1 >= buf.length && !final) return null
        if (buf[i + 1] === '"') { cell += '"'; i += 2; continue }
        quoted = false
        i++
        continue
      }
      if (c === '\n') lines++
      cell += c
      i++
      continue
    }
    if (c === '"') {
      if (!fieldStart) throw new MalformedInput(`a quote inside an unquoted cell on line ${line + lines - 1}`)
      quoted = true
      fieldStart = false
      i++
      continue
    }
    if (c === ',') { cells.push(cell); cell = ''; fieldStart = true; i++; continue }
    if (c === '\n' || (c === '\r' && buf[i + 1] === '\n')) {
      cells.push(cell)
      return { cells, next: i + (c === '\r' ? 2 : 1), lines }
    }
    if (c === '\r' && i + 1 >= buf.length && !final) return null
    cell += c
    fieldStart = false
    i++
  }
}

type ChunkParser = (buf: string, final: boolean) => { rows: SourceRow[], rest: string }

/** Batches of rows from chunks of text, by a parser that keeps what it could not finish. */
function batcher (chunks: AsyncGenerator<string>, parse: ChunkParser): {
  fill: () => Promise<SourceRow[]>
  done: () => boolean
} {
  let buf = ''
  let done = false
  return {
    done: () => done,
    async fill () {
      while (!done) {
        const next = await chunks.next()
        done = next.done === true
        if (!done) buf += next.value as string
        const { rows, rest } = parse(buf, done)
        buf = rest
        if (rows.length > 0) return rows
      }
      return []
    }
  }
}

async function source (
  format: SnapshotFormat,
  b: ReturnType<typeof batcher>,
  columnsOf: (first: SourceRow | undefined) => string[] | null,
  skipFirst: boolean
): Promise<RowSource> {
  let pending: SourceRow[] = []
  while (pending.length === 0 && !b.done()) pending = await b.fill()
  const columns = columnsOf(pending[0])
  if (skipFirst) pending.shift()
  async function * batches (): AsyncGenerator<SourceRow[]> {
    if (pending.length > 0) yield pending
    while (!b.done()) {
      const rows = await b.fill()
      if (rows.length > 0) yield rows
    }
  }
  return { format, columns, batches: batches() }
}

export async function csvRows (input: Readable, encoding: TextEncoding = 'utf-8'): Promise<RowSource> {
  let line = 1
  // The header is the first record that is not blank, whatever its line.
  let header = false
  const b = batcher(text(input, encoding), (buf, final) => {
    const rows: SourceRow[] = []
    let pos = 0
    let quote = buf.indexOf('"')
    while (pos < buf.length) {
      if (quote !== -1 && quote < pos) quote = buf.indexOf('"', pos)
      // The lines up to the last line break before the next quote, whole (the header is always
      // parsed here, for the column names).
      const last = header ? buf.lastIndexOf('\n', quote === -1 ? buf.length : quote) : -1
      if (last > pos) {
        let count = 1
        for (let nl = buf.indexOf('\n', pos); nl !== -1 && nl < last; nl = buf.indexOf('\n', nl + 1)) count++
        rows.push({ line, kind: 'csvLines', text: buf.slice(pos, last), count })
        line += count
        pos = last + 1
        continue
      }
      const r = csvRecord(buf, pos, final, line, quote)
      if (r === null) break
      // Blank lines are skipped, as csv-parse's skip_empty_lines did.
      if (!(r.cells.length === 1 && r.cells[0] === '')) {
        rows.push({ line, kind: 'csv', cells: r.cells })
        header = true
      }
      line += r.lines
      pos = r.next
    }
    if (buf.length - pos > MAX_RECORD) {
      throw new MalformedInput(`the record on line ${line} is longer than ${MAX_RECORD} characters`)
    }
    return { rows, rest: buf.slice(pos) }
  })
  return await source('csv', b, (first) => first?.kind === 'csv' ? first.cells.map(headerKey) : null, true)
}

function parseObject (text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
    return isObject ? value as Record<string, unknown> : null
  } catch {
    return null
  }
}

export async function ndjsonRows (input: Readable, encoding: TextEncoding = 'utf-8'): Promise<RowSource> {
  let line = 0
  const b = batcher(text(input, encoding), (buf, final) => {
    const rows: SourceRow[] = []
    let pos = 0
    for (;;) {
      const nl = buf.indexOf('\n', pos)
      if (nl === -1 && !(final && pos < buf.length)) break
      const end = nl === -1 ? buf.length : nl
      line++
      const text = buf.slice(pos, end)
      if (text.trim() !== '') {
        const value = text.length > MAX_RECORD ? null : parseObject(text)
        rows.push(value === null ? { line, kind: 'malformed' } : { line, kind: 'json', value })
      }
      pos = nl === -1 ? buf.length : nl + 1
    }
    if (buf.length - pos > MAX_RECORD) {
      throw new MalformedInput(`line ${line + 1} is longer than ${MAX_RECORD} characters`)
    }
    return { rows, rest: buf.slice(pos) }
  })
  const keys = (first: SourceRow | undefined): string[] | null =>
    first === undefined ? null : first.kind === 'json' ? Object.keys(first.value).map(headerKey) : []
  return await source('ndjson', b, keys, false)
}

export async function rowSource (format: SnapshotFormat, input: Readable,
  encoding: TextEncoding = 'utf-8'): Promise<RowSource> {
  return format === 'csv' ? await csvRows(input, encoding) : await ndjsonRows(input, encoding)
}
