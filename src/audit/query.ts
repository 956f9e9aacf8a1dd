/**
 * Reading the audit log for auditors (design §5 "Auditor"): filters on the columns copied out of
 * each entry, results decoded from the entries' canonical bytes, ascending index, cursor paging.
 */
import type { Executor } from '../db/client.ts'
import { ShifouError } from '../errors.ts'
import { parseEntry, type Entry } from './entry.ts'

export interface EntryFilter {
  caller?: string
  question?: string
  purpose?: string
  caseId?: string
  answer?: string
  kind?: string
  subject?: string
  /** RFC 3339 instants, half-open [from, to) */
  from?: string
  to?: string
}

export interface Page { entries: Entry[], next: string | null }

const COLUMNS: Array<[keyof EntryFilter, string]> = [
  ['caller', 'caller'], ['question', 'question'], ['purpose', 'purpose'], ['caseId', 'case_id'],
  ['answer', 'answer'], ['kind', 'kind'], ['subject', 'subject']
]
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

function instant (name: string, value: string): string {
  if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) throw new ShifouError('INVALID_QUERY', `${name} must be an RFC 3339 instant`)
  return new Date(value).toISOString()
}

export async function listEntries (db: Executor, filter: EntryFilter, limit = 100, cursor = 0): Promise<Page> {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new ShifouError('INVALID_QUERY', 'limit must be between 1 and 1000')
  if (!Number.isSafeInteger(cursor) || cursor < 0) throw new ShifouError('INVALID_QUERY', 'cursor is not valid')
  const where: string[] = ['index >= $1']
  const params: unknown[] = [cursor]
  for (const [key, column] of COLUMNS) {
    const value = filter[key]
    if (value !== undefined) {
      params.push(value)
      where.push(`${column} = $${params.length}`)
    }
  }
  if (filter.from !== undefined) { params.push(instant('from', filter.from)); where.push(`at >= $${params.length}::timestamptz`) }
  if (filter.to !== undefined) { params.push(instant('to', filter.to)); where.push(`at < $${params.length}::timestamptz`) }
  params.push(limit + 1)
  const rows = await db.query<{ entry: Uint8Array }>(
    `select entry from audit_entries where ${where.join(' and ')} order by index limit $${params.length}`, params)
  const entries = rows.slice(0, limit).map((r) => parseEntry(new Uint8Array(r.entry)))
  const next = rows.length > limit ? String(entries[entries.length - 1]!.index + 1) : null
  return { entries, next }
}
