/**
 * Rows of a snapshot into COPY lines of the records table (design §3): the subject's ID
 * normalised and keyed-hashed, the declared fields parsed by type (name and hashed values keyed-
 * hashed too), anything else dropped. Pure and synchronous, so that it runs the same in the
 * loading thread and in worker threads (src/connectors/convert-workers.ts): hashing and
 * serialising a row costs a few microseconds of JavaScript, and on one thread that was the
 * slowest part of a large load.
 */
import type { FieldType } from '../matchers/predicate/index.ts'
import { normaliseIdNumber } from '../matchers/cn-resident-id.ts'
import { ConnectorKeys, type ConnectorKeyMaterial } from '../keys/keyring.ts'
import { parseCsvCell, parseJsonValue, type CellResult } from './values.ts'
import type { SnapshotFormat, SourceRow } from './rows.ts'

/** A declared field and, in a CSV, its column. */
export interface Column { name: string, type: FieldType, index: number }

export interface ConvertSpec {
  snapshotId: number
  format: SnapshotFormat
  subjectField: string
  /** the subject's column in a CSV */
  subjectIndex: number
  /** a CSV's number of columns (every record must have them all) */
  width: number
  columns: Column[]
  /** today in China Standard Time (YYYYMMDD): no ID's birth date is after it */
  today: string
  keys: ConnectorKeyMaterial
}

/**
 * The rows of one batch, flat, so that they cross to a worker thread cheaply: per row its line,
 * negative for a malformed row, and in `cells` its raw subject and field values (`1 +
 * columns.length` a row; none for a malformed row). Whole CSV lines not yet split (a `csvLines`
 * row) are a 0 and their first line in `lines`, and their text in `texts`.
 */
export interface RowBatch { lines: number[], cells: unknown[], texts: string[] }

/** COPY text of the rows that passed, their count, and the rows refused as [line, field, code]. */
export interface Converted { text: string, rows: number, rejected: Array<[number, string, string]> }

/**
 * Flattens a batch from the reader. A CSV record with the wrong number of cells is malformed;
 * each key of an NDJSON object that is not declared is passed to `ignore`.
 */
export function flattenRows (
  rows: readonly SourceRow[],
  spec: ConvertSpec,
  declared: ReadonlySet<string>,
  ignore: (key: string) => void
): RowBatch {
  const lines: number[] = []
  const cells: unknown[] = []
  const texts: string[] = []
  for (const row of rows) {
    if (row.kind === 'csvLines') {
      lines.push(0, row.line)
      texts.push(row.text)
    } else if (row.kind === 'malformed' || (row.kind === 'csv' && row.cells.length !== spec.width)) {
      lines.push(-row.line)
    } else if (row.kind === 'csv') {
      lines.push(row.line)
      cells.push(row.cells[spec.subjectIndex])
      for (const col of spec.columns) cells.push(row.cells[col.index])
    } else {
      lines.push(row.line)
      for (const key of Object.keys(row.value)) if (!declared.has(key)) ignore(key)
      cells.push(row.value[spec.subjectField])
      for (const col of spec.columns) cells.push(Object.hasOwn(row.value, col.name) ? row.value[col.name] : null)
    }
  }
  return { lines, cells, texts }
}

/** COPY text format: tab-separated; backslash is the escape character, so JSON's backslashes are doubled. */
function copyLine (snapshotId: number, subjectHash: Buffer, keyVersion: number, attrs: string): string {
  const escaped = attrs.includes('\\') ? attrs.replaceAll('\\', '\\\\') : attrs
  return snapshotId + '\t\\\\x' + subjectHash.toString('hex') + '\t' + keyVersion + '\t' + escaped + '\n'
}

/** The conversion of one load: a function from a flat batch to its COPY text. */
export function converter (spec: ConvertSpec): (batch: RowBatch) => Converted {
  const keys = ConnectorKeys.fromMaterial(spec.keys)
  const csv = spec.format === 'csv'
  const width = 1 + spec.columns.length
  const members = spec.columns.map((col, k) => (k === 0 ? '' : ',') + JSON.stringify(col.name) + ':')
  // The flat cells of one row of a `csvLines` text, in the layout of RowBatch.cells.
  const split = new Array<unknown>(width)
  return (batch) => {
    let text = ''
    let rows = 0
    const rejected: Array<[number, string, string]> = []
    /** One row whose subject and field values are cells[at …]. */
    const convertRow = (line: number, cells: readonly unknown[], at: number): void => {
      const id = normaliseIdNumber(cells[at], spec.today)
      if (!id.ok) { rejected.push([line, spec.subjectField, id.code]); return }
      // The attributes' JSON, written member by member (the same text JSON.stringify gives an
      // object of these members in this order, without building the object).
      let attrs = '{'
      for (let k = 0; k < spec.columns.length; k++) {
        const col = spec.columns[k]!
        const cell = cells[at + 1 + k]
        const parsed: CellResult = csv ? parseCsvCell(col.type, cell as string) : parseJsonValue(col.type, cell)
        if (!parsed.ok) { rejected.push([line, col.name, parsed.code]); return }
        const value = (col.type === 'name' || col.type === 'hashed') && parsed.value !== null
          ? keys.fieldHash(col.name, id.value, String(parsed.value))
          : parsed.value
        attrs += members[k] + JSON.stringify(value)
      }
      text += copyLine(spec.snapshotId, keys.subjectHash(id.value), keys.keyVersion, attrs + '}')
      rows++
    }
    /** Whole CSV lines: split each as the reader's quote-free path does, blank lines skipped. */
    const convertLines = (first: number, lines: string): void => {
      let line = first
      for (let pos = 0; pos <= lines.length; line++) {
        const nl = lines.indexOf('\n', pos)
        const end = nl === -1 ? lines.length : nl
        let record = lines.slice(pos, end)
        pos = end + 1
        if (record.endsWith('\r')) record = record.slice(0, -1)
        if (record === '') continue
        const cells = record.split(',')
        if (cells.length !== spec.width) { rejected.push([line, '', 'MALFORMED_ROW']); continue }
        split[0] = cells[spec.subjectIndex]
        for (let k = 0; k < spec.columns.length; k++) split[1 + k] = cells[spec.columns[k]!.index]
        convertRow(line, split, 0)
      }
    }
    let c = 0
    let t = 0
    for (let j = 0; j < batch.lines.length; j++) {
      const line = batch.lines[j]!
      if (line === 0) convertLines(batch.lines[++j]!, batch.texts[t++]!)
      else if (line < 0) rejected.push([-line, '', 'MALFORMED_ROW'])
      else { convertRow(line, batch.cells, c); c += width }
    }
    return { text, rows, rejected }
  }
}
