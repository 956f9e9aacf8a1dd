/** An audit entry as the auditor's routes show it, and who may read one. */
import type { Static } from '@fastify/type-provider-typebox'
import type { Entry } from '../../../../audit/entry.ts'
import { getEntry, type StoredEntry } from '../../../../audit/query.ts'
import type { Executor } from '../../../../db/client.ts'
import { ShifouError } from '../../../../errors.ts'
import type { Principal } from '../../../../principal.ts'
import type { EntrySummary } from '../../../schemas/audit.ts'

export function entryView (e: Entry): Static<typeof EntrySummary> {
  return {
    index: e.index,
    at: e.at,
    kind: e.kind,
    actor: e.actor,
    caller: e.caller ?? null,
    question: e.question ?? null,
    params: e.params ?? null,
    purpose: e.purpose ?? null,
    caseId: e.caseId ?? null,
    answer: e.answer ?? null,
    code: e.code ?? null,
    subject: e.subject ?? null,
    verification: e.verification ?? null,
    snapshot: e.snapshot ?? null,
    asOf: e.asOf ?? null,
    keyVersion: e.keyVersion ?? null,
    norm: e.norm ?? null,
    consent: e.consent ?? null,
    receiptKid: e.receiptKid ?? null,
    detail: e.detail ?? null
  }
}

/** The stored entry at `index`, if the principal may read it: an auditor any, a caller its own verifications'. */
export async function readableEntry (db: Executor, principal: Principal, index: number): Promise<StoredEntry> {
  const stored = await getEntry(db, index)
  if (stored === null) throw new ShifouError('NOT_FOUND', 'No entry at this index')
  if (principal.role === 'caller' && stored.entry.caller !== principal.sub) {
    throw new ShifouError('FORBIDDEN', 'This entry is not about a verification of yours')
  }
  return stored
}

export function b64 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
