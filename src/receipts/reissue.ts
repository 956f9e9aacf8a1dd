/**
 * Receipts of a stored verification, for its certificate: the `answer` entries of one
 * verification about one subject, found through the subject's audit pseudonym (the
 * audit_entries_subject_idx index), and each entry's receipt rebuilt by ReceiptService.reissue.
 */
import type { Executor } from '../db/client.ts'
import { parseEntry, type Entry } from '../audit/entry.ts'

export async function answerEntriesOf (db: Executor, subject: string, verification: string): Promise<Entry[]> {
  const rows = await db.query<{ entry: Uint8Array }>(
    `select entry from audit_entries where subject = $1 and verification = $2 and kind = 'answer'
      order by index`, [subject, verification])
  return rows.map((r) => parseEntry(new Uint8Array(r.entry)))
}
