/**
 * Snapshot sources: where the rows of a load come from (a file uploaded today, a department's
 * database pulled by a sync). Every source feeds the same loader (src/connectors/load.ts:
 * source → convert → activate), so every kind of connector gets the same atomicity, reject
 * report, unreadable-subject rule, load record and memory bound.
 *
 * A source hands the loader its rows in batches and is pulled as the loader goes (an async
 * iterable awaited one batch at a time): the loader never asks for more than it has written, so
 * memory stays flat in the size of the data whatever the source. Two shapes cover the sources we
 * know:
 *
 * - `byteSource`: CSV or NDJSON bytes in UTF-8 or GB18030, as a file is uploaded, or as
 *   PostgreSQL's `COPY (query) TO STDOUT WITH (FORMAT csv, HEADER)` writes a result;
 * - `cellSource`: rows of text cells under named columns, as a database driver streams a result
 *   (NULL is an empty cell, which every field type reads as null).
 *
 * A source's own failures (a database that cannot be reached, a query that fails) are thrown as
 * a `ShifouError` with a code of their own, from `open()` or from the iteration: the loader records
 * the attempt as failed with that code and answers with the error. Any other error is a 500.
 */
import type { Readable } from 'node:stream'
import { rowSource, type RowSource, type SnapshotFormat, type SourceRow, type TextEncoding } from './rows.ts'
import { headerKey } from './columns.ts'

export type { RowSource, SnapshotFormat, SourceRow, TextEncoding }

/**
 * What a load record and its audit entry say about where the rows came from: never a secret
 * (no password, no connection URL), never a value of the data.
 */
export interface SourceDescription {
  /** `file` for an upload; a pulling kind names its engine, e.g. `pull` */
  kind: string
  /** how the rows are spoken of in errors: "the file", "the query's result" */
  noun: string
  [detail: string]: string
}

export interface SnapshotSource {
  describe(): SourceDescription
  /**
   * The rows, opened: their columns (a CSV's header, NDJSON's first object's keys, a result's
   * columns; null when there are no rows) and their batches. `format` says how cells are read:
   * `csv` for text cells (every declared column must be present), `ndjson` for JSON values (only
   * the subject's column must be; a key left out is a null). Called once per load.
   */
  open(): Promise<RowSource>
}

/** CSV or NDJSON bytes (an upload, or a COPY … TO STDOUT), decoded and parsed as a stream. */
export function byteSource (format: SnapshotFormat, input: Readable, encoding: TextEncoding = 'utf-8',
  description: SourceDescription = { kind: 'file', noun: 'the file', format }): SnapshotSource {
  return {
    describe: () => description,
    open: async () => await rowSource(format, input, encoding)
  }
}

/** Cells of a row from a driver: a string, or null for SQL NULL. */
export type Cell = string | null

/** Rows of a cell source are handed to the loader in batches of this many. */
const CELL_BATCH = 2000

/**
 * Rows of text cells in the order of `columns` (a database result, streamed by its driver).
 * Row n of the result is reported as line n + 1, as in the result's CSV export with its header.
 * The iterable is pulled one row at a time as the loader goes: give it a driver stream that
 * fetches as it is read (a cursor, a streaming query), never an array of the whole result.
 */
export function cellSource (columns: readonly string[], rows: AsyncIterable<readonly Cell[]>,
  description: SourceDescription): SnapshotSource {
  return {
    describe: () => description,
    open: async () => {
      const iterator = rows[Symbol.asyncIterator]()
      const first = await iterator.next()
      const names = columns.map(headerKey)
      async function * batches (): AsyncGenerator<SourceRow[]> {
        if (first.done === true) return
        let line = 2
        let batch: SourceRow[] = [{ line: line++, kind: 'csv', cells: asCells(first.value) }]
        for (;;) {
          const next = await iterator.next()
          if (next.done === true) break
          batch.push({ line: line++, kind: 'csv', cells: asCells(next.value) })
          if (batch.length >= CELL_BATCH) { yield batch; batch = [] }
        }
        if (batch.length > 0) yield batch
      }
      return { format: 'csv', columns: first.done === true ? null : names, batches: batches() }
    }
  }
}

function asCells (row: readonly Cell[]): string[] {
  const out = new Array<string>(row.length)
  for (let i = 0; i < row.length; i++) out[i] = row[i] ?? ''
  return out
}
