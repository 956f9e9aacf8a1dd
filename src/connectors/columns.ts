/**
 * Which column of a file holds which declared field (design §14.1 "Columns"). A field, and the
 * subject, may name its source column (`column`, any Unicode header text, e.g. 公民身份号码); by
 * default the column is the field's name. Headers and columns are compared after trimming space,
 * TAB, U+00A0 and U+3000 and after NFC, so a header typed with a trailing full-width space or in
 * decomposed form still matches.
 */
import { ShifouError } from '../errors.ts'

/**
 * A header cell or a declared column as compared: NFC, trimmed of whitespace (space, TAB, U+00A0,
 * U+3000, and any other Unicode white space: a header is never data).
 */
export function headerKey (text: string): string {
  return text.trim().normalize('NFC')
}

export interface ColumnSpec { field: string, column: string }

/** The declared columns of a connector: the subject first, then its fields in order. */
export function declaredColumns (connector: {
  subjectField: string
  subjectColumn?: string | null
  fields: ReadonlyArray<{ name: string, column?: string }>
}): ColumnSpec[] {
  return [
    { field: connector.subjectField, column: headerKey(connector.subjectColumn ?? connector.subjectField) },
    ...connector.fields.map((f) => ({ field: f.name, column: headerKey(f.column ?? f.name) }))
  ]
}

/** At most this many of a file's (or a query's) columns are named in an error. */
const LISTED = 60
const LISTED_LENGTH = 40

/**
 * A header cell as an error may show it: a header row that is really a data row (a file without
 * one) would otherwise put an ID number into the error; cells with a run of six or more digits
 * are not shown, long ones are cut.
 */
function shown (header: string): string {
  if (/[0-9０-９]{6}/.test(header)) return '(a value with digits: is the header row missing?)'
  if (header === '') return '(blank)'
  return [...header].length > LISTED_LENGTH ? [...header].slice(0, LISTED_LENGTH).join('') + '…' : header
}

export function listed (headers: readonly string[]): string[] {
  const out = [...new Set(headers.map(shown))].slice(0, LISTED)
  return headers.length > LISTED ? [...out, `… ${headers.length - LISTED} more`] : out
}

/**
 * The position of each declared column in a CSV header (already compared as `headerKey`s), or 400:
 * DUPLICATE_COLUMN when a header is given twice (blank headers, as trailing commas make, excepted:
 * they are ignored columns), MISSING_COLUMN listing what is missing and what the file has.
 * `required` are the columns that must be present (in NDJSON only the subject's).
 */
export function locateColumns (headers: readonly string[], declared: readonly ColumnSpec[],
  required: readonly ColumnSpec[], noun = 'the file'): Map<string, number> {
  const file = noun === 'the file'
  const seen = new Map<string, number>()
  const duplicates = new Set<string>()
  headers.forEach((h, i) => {
    if (h === '') return
    if (seen.has(h)) duplicates.add(h)
    else seen.set(h, i)
  })
  if (duplicates.size > 0) {
    const names = listed([...duplicates])
    throw new ShifouError('DUPLICATE_COLUMN', `The header names a column more than once: ${names.join(', ')}. ` +
      'Rename or remove the repeated columns; which one holds the data cannot be guessed.', { duplicates: names })
  }
  const missing = required.filter((c) => !seen.has(c.column))
  if (missing.length > 0) {
    const names = missing.map((c) => c.column === c.field ? c.column : `${c.column} (${c.field})`)
    const columns = listed(headers)
    const none = declared.every((c) => !seen.has(c.column))
    throw new ShifouError('MISSING_COLUMN', `Declared columns missing from ${noun}: ${names.join(', ')}. ` +
      `${file ? 'The file\'s' : 'Its'} columns are: ${columns.join(', ')}.` +
      (!file
        ? ' Name the columns in the query (… AS name), or set `column` on the connector\'s fields to them.'
        : none
          ? ' None of the declared columns is there: is the first line the header row, and is the encoding right?'
          : ' ' +
            'Rename the file\'s headers, or set `column` on the connector\'s fields to the headers the file uses.'),
    { missing: missing.map((c) => c.column), columns })
  }
  const out = new Map<string, number>()
  for (const c of declared) {
    const i = seen.get(c.column)
    if (i !== undefined) out.set(c.field, i)
  }
  return out
}
