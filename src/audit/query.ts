/**
 * Reading the audit log for auditors (design §5 "Auditor"): filters on the columns copied out of
 * each entry, results decoded from the entries' canonical bytes, ascending index, cursor paging.
 */
import type { Executor } from '../db/client.ts'
import { ShifouError } from '../errors.ts'
import { parseInstant } from '../instant.ts'
import { parseEntry, type Entry } from './entry.ts'
import { csvRow, type CsvValue } from '../csv.ts'

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
const instant = (name: string, value: string): string => parseInstant(name, value)

/**
 * One page of the log in index order: ascending from `cursor` (default 0), or with `order` 'desc'
 * descending from `cursor` (default: the newest entry) — the console shows the newest first.
 */
export async function listEntries (
  db: Executor,
  filter: EntryFilter,
  limit = 100,
  cursor: number | null = 0,
  order: 'asc' | 'desc' = 'asc'
): Promise<Page> {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
    throw new ShifouError('INVALID_QUERY', 'limit must be between 1 and 1000')
  }
  if (cursor !== null && (!Number.isSafeInteger(cursor) || cursor < 0)) {
    throw new ShifouError('INVALID_QUERY', 'cursor is not valid')
  }
  const desc = order === 'desc'
  const where: string[] = []
  const params: unknown[] = []
  if (!desc || cursor !== null) {
    params.push(cursor ?? 0)
    where.push(desc ? 'index <= $1' : 'index >= $1')
  }
  for (const [key, column] of COLUMNS) {
    const value = filter[key]
    if (value !== undefined) {
      params.push(value)
      where.push(`${column} = $${params.length}`)
    }
  }
  if (filter.from !== undefined) {
    params.push(instant('from', filter.from))
    where.push(`at >= $${params.length}::timestamptz`)
  }
  if (filter.to !== undefined) {
    params.push(instant('to', filter.to))
    where.push(`at < $${params.length}::timestamptz`)
  }
  params.push(limit + 1)
  const rows = await db.query<{ entry: Uint8Array }>(
    `select entry from audit_entries where ${where.length === 0 ? 'true' : where.join(' and ')}
      order by index ${desc ? 'desc' : 'asc'} limit $${params.length}`, params)
  const entries = rows.slice(0, limit).map((r) => parseEntry(new Uint8Array(r.entry)))
  const last = entries[entries.length - 1]?.index
  const next = rows.length > limit ? String(desc ? last! - 1 : last! + 1) : null
  return { entries, next }
}

export interface StoredEntry { entry: Entry, bytes: Uint8Array, leafHash: Uint8Array }

export async function getEntry (db: Executor, index: number): Promise<StoredEntry | null> {
  const [row] = await db.query<{ entry: Uint8Array, leaf_hash: Uint8Array }>(
    'select entry, leaf_hash from audit_entries where index = $1', [index])
  if (row === undefined) return null
  const bytes = new Uint8Array(row.entry)
  return { entry: parseEntry(bytes), bytes, leafHash: new Uint8Array(row.leaf_hash) }
}

const CSV_COLUMNS = [
  'index', 'at', 'kind', 'actor_sub', 'actor_role', 'caller', 'question', 'purpose', 'case_id', 'answer', 'code',
  'subject', 'verification', 'snapshot'
] as const

/**
 * The entries in [from, to) as JSON Lines (each line is an entry's canonical bytes, so a verifier
 * can hash it as it stands) or CSV (the filter columns plus the canonical bytes in base64), read
 * in pages of `page` rows: the whole result is never held in memory. The first chunk holds the
 * first page (after the CSV header), so that a caller that awaits it knows the query runs before
 * it says anything to the client.
 */
export async function * exportEntries (
  db: Executor,
  format: 'jsonl' | 'csv',
  filter: Pick<EntryFilter, 'from' | 'to'>,
  page = 1000
): AsyncGenerator<string> {
  const from = filter.from === undefined ? null : instant('from', filter.from)
  const to = filter.to === undefined ? null : instant('to', filter.to)
  let chunk = format === 'csv' ? csvRow([...CSV_COLUMNS, 'leaf'], '\n') : ''
  let cursor = 0
  for (;;) {
    const rows = await db.query<Record<string, unknown> & { index: number, entry: Uint8Array }>(
      `select ${CSV_COLUMNS.join(', ')}, entry from audit_entries
        where index >= $1
          and ($2::timestamptz is null or at >= $2::timestamptz)
          and ($3::timestamptz is null or at < $3::timestamptz)
        order by index limit $4`, [cursor, from, to, page])
    for (const r of rows) {
      const bytes = Buffer.from(r.entry)
      if (format === 'jsonl') {
        chunk += bytes.toString('utf8') + '\n'
      } else {
        const entry = parseEntry(bytes)
        const cells = CSV_COLUMNS.map((c) => (c === 'at' ? entry.at : r[c]) as CsvValue)
        chunk += csvRow([...cells, bytes.toString('base64')], '\n')
      }
    }
    if (chunk !== '') yield chunk
    if (rows.length < page) return
    chunk = ''
    cursor = Number(rows[rows.length - 1]!.index) + 1
  }
}
