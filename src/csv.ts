/**
 * The one CSV writer of every CSV the service sends (the audit export, the reject reports): RFC
 * 4180 quoting, and OWASP's defence against CSV injection — a text cell that starts like a
 * formula (`=`, `+`, `-`, `@`, TAB or CR) gets a leading `'`, so that a spreadsheet shows it as
 * text instead of evaluating it (`=HYPERLINK(…)` in a case id, a purpose, a file's header).
 * A program reading such a file strips one leading `'` from a cell whose next character is one of these.
 */

export type CsvValue = string | number | boolean | null | undefined

const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

/** One cell: empty for null/undefined; numbers as written (a number is never a formula). */
export function csvCell (value: CsvValue): string {
  if (value === null || value === undefined) return ''
  let s = String(value)
  if (typeof value !== 'number' && FORMULA_START.test(s)) s = "'" + s
  return NEEDS_QUOTES.test(s) ? '"' + s.replaceAll('"', '""') + '"' : s
}

/** One record: its cells escaped, joined by commas, ended by `eol` (CRLF, as RFC 4180 and spreadsheets expect). */
export function csvRow (values: readonly CsvValue[], eol: '\r\n' | '\n' = '\r\n'): string {
  return values.map(csvCell).join(',') + eol
}
