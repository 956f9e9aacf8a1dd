/**
 * Rows of a snapshot into COPY lines of the records table (design §3): the subject's ID
 * normalised and keyed-hashed, the declared fields parsed by type (name and hashed values keyed-
 * hashed too), anything else dropped. Pure and synchronous, so that it runs the same in the
 * loading thread and in worker threads (src/connectors/convert-workers.ts): hashing and
 * serialising a row costs a few microseconds of JavaScript, and on one thread that was the
 * slowest part of a large load.
 *
 * A rejected row is never simply dropped (design §14.1, "No answer from an unreadable record"):
 * if its subject can be read, the subject gets a marker row — `attrs` is JSON `null` — so that a
 * question about that person is refused instead of answered from their other rows, or as unknown.
 * A row whose ID fails only its check character marks the ID with the first 17 characters and the
 * right check character. A row whose ID cannot be read at all is counted as unlinkable.
 */
import type { FieldType } from '../matchers/predicate/index.ts'
import { explainIdNumber, normaliseIdNumber } from '../matchers/cn-resident-id.ts'
import { ConnectorKeys, type ConnectorKeyMaterial } from '../keys/keyring.ts'
import { parseCsvCell, parseJsonValue, trimCell, type CellResult } from './values.ts'
import type { SnapshotFormat, SourceRow } from './rows.ts'
import { headerKey } from './columns.ts'

/** A declared field: its column in a CSV (`index`), its key in NDJSON (`key`, the column's header text). */
export interface Column { name: string, type: FieldType, index: number, key: string }

export interface ConvertSpec {
  snapshotId: number
  format: SnapshotFormat
  subjectField: string
  /** the subject's column in a CSV */
  subjectIndex: number
  /** the subject's key in NDJSON (its column's header text, trimmed and NFC) */
  subjectKey: string
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
 * row) are a 0 and their first line in `lines`, and their text in `texts`. A malformed row's cells
 * (none for NDJSON that is not an object) and the reason it is malformed are in `malformed`.
 */
export interface RowBatch {
  lines: number[]
  cells: unknown[]
  texts: string[]
  malformed: Array<{ cells: string[], reason: string }>
}

/**
 * Per record row of a converted batch: its line and the first 8 bytes of its subject's keyed hash
 * (as two signed 32-bit integers), for the bound on rows per subject (record-cap.ts). A typed
 * array, so that it crosses from a worker thread as one block of memory (an array of numbers
 * was copied number by number, and cost a loader 5–10% of its rows per second).
 */
export type Tally = Int32Array

/** A batch's tally as it grows. */
class TallyBuilder {
  #data = new Int32Array(3 * 1024)
  #n = 0

  add (line: number, subjectHash: Buffer): void {
    if (this.#n + 3 > this.#data.length) {
      const grown = new Int32Array(this.#data.length * 2)
      grown.set(this.#data)
      this.#data = grown
    }
    this.#data[this.#n++] = line
    this.#data[this.#n++] = subjectHash.readInt32BE(0)
    this.#data[this.#n++] = subjectHash.readInt32BE(4)
  }

  done (): Tally {
    return this.#data.slice(0, this.#n)
  }
}

/** A refused row: [line, field, code, reason]. */
export type Rejected = [number, string, string, string]

/**
 * COPY text of the rows that passed and of the unreadable subjects' markers, the number of rows
 * that passed, the rows refused, and how many of those could not be linked to any subject.
 */
export interface Converted {
  text: string
  rows: number
  rejected: Rejected[]
  unlinkable: number
  /** each record row's line and subject (record-cap.ts), for the bound on rows per subject */
  tally: Tally
}

const NOT_AN_OBJECT = 'not a JSON object on one line'
const TWO_KEYS = 'two keys of the object name the same column (after trimming spaces and NFC)'
const widthReason = (cells: number, width: number): string =>
  `the row has ${cells} cells and the header ${width}: ` +
  'a value with a comma, quote or line break must be in double quotes'

/**
 * Flattens a batch from the reader. A CSV record with the wrong number of cells is malformed;
 * each key of an NDJSON object that is not declared is passed to `ignore`. `keyOf` maps an NDJSON
 * key to its header text (trimmed, NFC).
 */
export function flattenRows (rows: readonly SourceRow[], spec: ConvertSpec, declared: ReadonlySet<string>,
  ignore: (key: string) => void,
  keyOf: (key: string) => string = headerKey): RowBatch {
  const lines: number[] = []
  const cells: unknown[] = []
  const texts: string[] = []
  const malformed: RowBatch['malformed'] = []
  for (const row of rows) {
    if (row.kind === 'csvLines') {
      lines.push(0, row.line)
      texts.push(row.text)
    } else if (row.kind === 'malformed') {
      lines.push(-row.line)
      malformed.push({ cells: [], reason: NOT_AN_OBJECT })
    } else if (row.kind === 'csv') {
      if ((row.cells.length !== spec.width || blank(row.cells[spec.subjectIndex])) && isBlankRecord(row.cells)) continue
      if (row.cells.length !== spec.width) {
        lines.push(-row.line)
        malformed.push({ cells: row.cells, reason: widthReason(row.cells.length, spec.width) })
        continue
      }
      lines.push(row.line)
      cells.push(row.cells[spec.subjectIndex])
      for (const col of spec.columns) cells.push(row.cells[col.index])
    } else {
      const value = jsonRow(row.value, declared, ignore, keyOf)
      if (value === null) {
        lines.push(-row.line)
        const strings = Object.values(row.value).filter((v): v is string => typeof v === 'string')
        malformed.push({ cells: strings, reason: TWO_KEYS })
        continue
      }
      lines.push(row.line)
      cells.push(Object.hasOwn(value, spec.subjectKey) ? value[spec.subjectKey] : null)
      for (const col of spec.columns) cells.push(Object.hasOwn(value, col.key) ? value[col.key] : null)
    }
  }
  return { lines, cells, texts, malformed }
}

/**
 * An NDJSON object by header text: its keys as sent when they are already declared column names
 * (the common case: no copy), else trimmed and NFC. Null when two keys name one declared column.
 */
function jsonRow (value: Record<string, unknown>, declared: ReadonlySet<string>, ignore: (key: string) => void,
  keyOf: (key: string) => string): Record<string, unknown> | null {
  let mapped: Record<string, unknown> | null = null
  let seen: Set<string> | null = null
  for (const key of Object.keys(value)) {
    if (declared.has(key)) continue
    const k = keyOf(key)
    if (k === key || !declared.has(k)) { ignore(key); continue }
    seen ??= new Set()
    if (Object.hasOwn(value, k) || seen.has(k)) return null
    seen.add(k)
    mapped ??= { ...value }
    // defineProperty: a column may be any text, `__proto__` included.
    Object.defineProperty(mapped, k, { value: value[key], enumerable: true, writable: true, configurable: true })
  }
  return mapped ?? value
}

/** COPY text format: tab-separated; backslash is the escape character, so JSON's backslashes are doubled. */
function copyLine (snapshotId: number, subjectHash: Buffer, keyVersion: number, attrs: string): string {
  const escaped = attrs.includes('\\') ? attrs.replaceAll('\\', '\\\\') : attrs
  return snapshotId + '\t\\\\x' + subjectHash.toString('hex') + '\t' + keyVersion + '\t' + escaped + '\n'
}

/** The attrs of an unreadable subject's marker row (design §14.1): JSON null, never a record. */
export const UNREADABLE_ATTRS = 'null'

/** A cell with nothing in it but the whitespace a cell is trimmed of. */
const blank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && trimCell(v) === '')

/**
 * A CSV record with nothing in it (`,,,,` as Excel writes a formatted empty row, or spaces only):
 * skipped like a blank line, neither a row nor a reject.
 */
export function isBlankRecord (cells: readonly string[]): boolean {
  for (const c of cells) if (!blank(c)) return false
  return true
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
    let unlinkable = 0
    const rejected: Rejected[] = []
    const counted = new TallyBuilder()
    const mark = (id: string): void => {
      text += copyLine(spec.snapshotId, keys.subjectHash(id), keys.keyVersion, UNREADABLE_ATTRS)
    }
    /** The subject of a row refused for its ID: the likely person when only the check character is wrong. */
    const refuseId = (line: number, raw: unknown): void => {
      const why = explainIdNumber(raw, spec.today)
      rejected.push([line, spec.subjectField, 'INVALID_ID_NUMBER', why?.reason ?? 'not a valid ID number'])
      if (why?.corrected != null) mark(why.corrected)
      else unlinkable++
    }
    /** One row whose subject and field values are cells[at …]. */
    const convertRow = (line: number, cells: readonly unknown[], at: number): void => {
      const id = normaliseIdNumber(cells[at], spec.today)
      if (!id.ok) { refuseId(line, cells[at]); return }
      // The attributes' JSON, written member by member (the same text JSON.stringify gives an
      // object of these members in this order, without building the object).
      let attrs = '{'
      for (let k = 0; k < spec.columns.length; k++) {
        const col = spec.columns[k]!
        const cell = cells[at + 1 + k]
        const parsed: CellResult = csv ? parseCsvCell(col.type, cell as string) : parseJsonValue(col.type, cell)
        if (!parsed.ok) {
          rejected.push([line, col.name, parsed.code, parsed.reason])
          mark(id.value)
          return
        }
        const value = (col.type === 'name' || col.type === 'hashed') && parsed.value !== null
          ? keys.fieldHash(col.name, id.value, String(parsed.value))
          : parsed.value
        attrs += members[k] + JSON.stringify(value)
      }
      const subject = keys.subjectHash(id.value)
      text += copyLine(spec.snapshotId, subject, keys.keyVersion, attrs + '}')
      counted.add(line, subject)
      rows++
    }
    /**
     * A row that cannot be split into its columns: which cell is the ID is not certain, so every
     * cell that reads as an ID number marks its subject (a refusal too many is safe, an answer
     * from a neighbour's row is not); the subject's own column also by its first 17 characters.
     */
    const convertMalformed = (line: number, cells: readonly string[], reason: string): void => {
      rejected.push([line, '', 'MALFORMED_ROW', reason])
      let marked = false
      cells.forEach((cell, i) => {
        const id = normaliseIdNumber(cell, spec.today)
        if (id.ok) { mark(id.value); marked = true; return }
        if (i !== spec.subjectIndex || !csv) return
        const corrected = explainIdNumber(cell, spec.today)?.corrected
        if (corrected != null) { mark(corrected); marked = true }
      })
      if (!marked) unlinkable++
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
        if (cells.length !== spec.width || blank(cells[spec.subjectIndex])) {
          if (isBlankRecord(cells)) continue
          if (cells.length !== spec.width) {
            convertMalformed(line, cells, widthReason(cells.length, spec.width))
            continue
          }
        }
        split[0] = cells[spec.subjectIndex]
        for (let k = 0; k < spec.columns.length; k++) split[1 + k] = cells[spec.columns[k]!.index]
        convertRow(line, split, 0)
      }
    }
    let c = 0
    let t = 0
    let m = 0
    for (let j = 0; j < batch.lines.length; j++) {
      const line = batch.lines[j]!
      if (line === 0) {
        convertLines(batch.lines[++j]!, batch.texts[t++]!)
      } else if (line < 0) {
        const bad = batch.malformed[m++]!
        convertMalformed(-line, bad.cells, bad.reason)
      } else {
        convertRow(line, batch.cells, c)
        c += width
      }
    }
    return { text, rows, rejected, unlinkable, tally: counted.done() }
  }
}
