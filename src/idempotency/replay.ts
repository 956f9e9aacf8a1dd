/**
 * The first response again, from what was recorded with the key (design §14.6): each answered
 * result is rebuilt from its verification's audit entries — question, answer, date, audit index —
 * and its receipts are signed again, which gives the same bytes (the same key, nonce and claims:
 * src/receipts/service.ts). The subject of each result comes from the repeated request itself,
 * whose keyed hash matched the first one's; the record never held it.
 */
import type { Executor } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import type { ReceiptIssuer } from '../receipts/issuer.ts'
import type { JsonValue } from '../audit/entry.ts'
import { answerEntriesOf } from '../receipts/reissue.ts'
import { normaliseIdNumber, todayCst } from '../matchers/cn-resident-id.ts'
import { ShifouError } from '../errors.ts'
import type { Answer, VerificationResult } from '../verifications/types.ts'
import type { StoredResponse } from './keys.ts'

export interface ReplayDeps { database: Executor, keyring: Keyring, receipts: ReceiptIssuer }

export type ReplayedResult = VerificationResult | { error: Record<string, JsonValue> }

/** The results of the recorded response; `idNumbers[i]` is the subject of result i as the request sent it. */
export async function replay (
  deps: ReplayDeps, stored: StoredResponse, idNumbers: readonly string[]
): Promise<ReplayedResult[]> {
  return await Promise.all(stored.results.map(async (r, i): Promise<ReplayedResult> => {
    if ('error' in r) return { error: r.error }
    const id = normaliseIdNumber(idNumbers[i] ?? '', todayCst())
    if (!id.ok) throw new ShifouError('INTERNAL')
    const entries = await answerEntriesOf(deps.database, deps.keyring.audit.pseudonym(id.value), r.verification)
    if (entries.length === 0) throw new ShifouError('INTERNAL')
    const answers: Answer[] = await Promise.all(entries.map(async (e) => ({
      question: e.question!,
      answer: e.answer!,
      asOf: e.asOf!,
      auditIndex: e.index,
      ...(await deps.receipts.reissue(e, id.value) ?? {})
    })))
    return { id: r.verification, answers }
  }))
}
