/**
 * Streaming a snapshot body into rows: CSV (header row of field names) or NDJSON (one object a
 * line). Neither holds the file in memory; both report the 1-based line of the file as sent.
 */
import type { Readable } from 'node:stream'
import { createInterface } from 'node:readline'
import { parse } from 'csv-parse'

export type SnapshotFormat = 'csv' | 'ndjson'

export type SourceRow =
  | { line: number, kind: 'csv', cells: string[] }
  | { line: number, kind: 'json', value: Record<string, unknown> }
  | { line: number, kind: 'malformed' }

export interface RowSource {
  /** CSV: the header's column names; NDJSON: the keys of the first object (null when empty). */
  columns: string[] | null
  rows: AsyncIterable<SourceRow>
}

const MAX_LINE = 1024 * 1024

export async function csvRows (input: Readable): Promise<RowSource> {
  const parser = input.pipe(parse({ bom: true, relax_column_count: true, info: true, skip_empty_lines: true, max_record_size: MAX_LINE }))
  input.on('error', (err) => parser.destroy(err))
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[], info: { lines: number } }>
  const first = await it.next()
  if (first.done === true) return { columns: null, rows: (async function * () {})() }
  const columns = first.value.record.map((c) => c.trim())
  async function * rows (): AsyncGenerator<SourceRow> {
    for (;;) {
      const next = await it.next()
      if (next.done === true) return
      yield { line: next.value.info.lines, kind: 'csv', cells: next.value.record }
    }
  }
  return { columns, rows: rows() }
}

function parseObject (text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : null
  } catch {
    return null
  }
}

export async function ndjsonRows (input: Readable): Promise<RowSource> {
  const rl = createInterface({ input, crlfDelay: Infinity })
  // readline ends quietly when its input fails; remember why, so a cut-off upload is an error.
  let failed: Error | null = null
  input.on('error', (err) => { failed = err; rl.close() })
  const lines = rl[Symbol.asyncIterator]()
  const end = (): void => { if (failed !== null) throw failed }
  let lineNo = 0
  let first: SourceRow | null = null
  // The first non-empty line names the columns.
  for (;;) {
    const next = await lines.next()
    if (next.done === true) { end(); break }
    lineNo++
    if (next.value.trim() === '') continue
    const value = next.value.length > MAX_LINE ? null : parseObject(next.value)
    first = value === null ? { line: lineNo, kind: 'malformed' } : { line: lineNo, kind: 'json', value }
    break
  }
  const columns = first === null ? null : first.kind === 'json' ? Object.keys(first.value) : []
  async function * rows (): AsyncGenerator<SourceRow> {
    if (first !== null) yield first
    for (;;) {
      const next = await lines.next()
      if (next.done === true) { end(); return }
      lineNo++
      if (next.value.trim() === '') continue
      const value = next.value.length > MAX_LINE ? null : parseObject(next.value)
      yield value === null ? { line: lineNo, kind: 'malformed' } : { line: lineNo, kind: 'json', value }
    }
  }
  return { columns, rows: rows() }
}

export async function rowSource (format: SnapshotFormat, input: Readable): Promise<RowSource> {
  return format === 'csv' ? await csvRows(input) : await ndjsonRows(input)
}
