/**
 * The reject report of a load attempt (design §14.1 "Load record and report"): every rejected row
 * — its line, field, code and reason, never its value — kept in `snapshot_rejects` as the load
 * goes, also for a load that fails, and read back as CSV (GET
 * /v1/connectors/:id/snapshots/:snapshot/rejects, `shifou load --report FILE`).
 */
import type { Executor } from '../db/client.ts'
import type { Rejected } from './convert.ts'
import { csvRow } from '../csv.ts'

/**
 * Rows kept per attempt. A file with more rejected rows than this is the wrong file, not one with
 * typing errors; the report says where it stops, and the counts still cover every row.
 */
export const MAX_REJECTS_KEPT = 1_000_000
/** The reports of a connector's most recent attempts are kept; older attempts' are deleted. */
export const REPORTS_KEPT = 20
/** Rows a statement inserts: one statement per ~5,000 rejects keeps a bad file's load moving. */
const BATCH = 5000

/** Collects an attempt's rejected rows and inserts them in batches. */
export class RejectWriter {
  readonly #db: Executor
  readonly #snapshotId: number
  #pending: Rejected[] = []
  /** rows handed to the writer (kept or not) */
  count = 0

  constructor (db: Executor, snapshotId: number) {
    this.#db = db
    this.#snapshotId = snapshotId
  }

  /** Adds rows; writes a batch once enough are waiting. */
  async add (rows: readonly Rejected[]): Promise<void> {
    for (const r of rows) {
      if (this.count++ < MAX_REJECTS_KEPT) this.#pending.push(r)
    }
    if (this.#pending.length >= BATCH) await this.flush()
  }

  /** Writes what is waiting; a batch leaves the queue only once it is written (a failed load retries). */
  async flush (): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.slice(0, BATCH)
      const json = JSON.stringify(batch.map(([l, f, c, r]) => ({ l, f, c, r })))
      await this.#db.query(`insert into snapshot_rejects (snapshot_id, line, field, code, reason)
        select $1, r.l, r.f, r.c, r.r from jsonb_to_recordset($2::jsonb) as r(l bigint, f text, c text, r text)`,
      [this.#snapshotId, json])
      this.#pending.splice(0, batch.length)
    }
  }
}

/** Deletes the reports of a connector's attempts older than its REPORTS_KEPT most recent. */
export async function pruneReports (db: Executor, connectorId: string): Promise<void> {
  await db.query(`delete from snapshot_rejects where snapshot_id in (
      select id from snapshots where connector_id = $1 order by id desc offset $2)`, [connectorId, REPORTS_KEPT])
}

/** Whether an attempt's report is still kept (it is one of its connector's most recent attempts). */
export async function reportKept (db: Executor, connectorId: string, snapshotId: number): Promise<boolean> {
  const rows = await db.query<{ id: number }>(
    'select id from snapshots where connector_id = $1 order by id desc limit $2', [connectorId, REPORTS_KEPT])
  return rows.some((r) => Number(r.id) === snapshotId)
}

export interface RejectRow { line: number, field: string, code: string, reason: string }

/**
 * An attempt's rejected rows in line order, a page at a time. A row is rejected once (for the
 * first thing wrong with it) and a record has one line, so the line is a key of the attempt's rows.
 */
export async function * readRejects (db: Executor, snapshotId: number, pageSize = 10_000): AsyncGenerator<RejectRow[]> {
  let after = 0
  for (;;) {
    const rows = await db.query<RejectRow>(`select line, field, code, reason from snapshot_rejects
      where snapshot_id = $1 and line > $2 order by line limit $3`, [snapshotId, after, pageSize])
    if (rows.length === 0) return
    yield rows.map((r) => ({ line: Number(r.line), field: r.field, code: r.code, reason: r.reason }))
    after = Number(rows[rows.length - 1]!.line)
    if (rows.length < pageSize) return
  }
}

/** The columns of design §14.1, then the file's header of the field (an extension). */
export const REPORT_HEADER = 'line,field,code,reason,column\r\n'

/** One line of the report: CRLF-terminated, as spreadsheets expect. */
export function reportLine (r: RejectRow, column: string): string {
  return csvRow([r.line, r.field, r.code, r.reason, column])
}

/**
 * The report of an attempt as CSV text, in pieces: a UTF-8 BOM (so that Excel on Chinese Windows
 * reads it as UTF-8, not GB18030), the header, a line per rejected row, and when more rows were
 * rejected than kept, a last line that says so. `columns` maps a field to its file header.
 */
export async function * rejectReport (db: Executor, snapshotId: number, rejectedCount: number,
  columns: ReadonlyMap<string, string>): AsyncGenerator<string> {
  yield '\ufeff' + REPORT_HEADER
  let listed = 0
  for await (const page of readRejects(db, snapshotId)) {
    let out = ''
    for (const r of page) out += reportLine(r, r.field === '' ? '' : columns.get(r.field) ?? r.field)
    listed += page.length
    yield out
  }
  if (listed < rejectedCount) {
    const reason = `${listed} of ${rejectedCount} rejected rows are listed`
    yield reportLine({ line: 0, field: '', code: 'REPORT_TRUNCATED', reason }, '')
  }
}
