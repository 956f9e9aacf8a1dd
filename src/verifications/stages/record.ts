/**
 * Stage 7: the answers' audit entries, then the answers. Nothing is returned before the entries
 * commit (fail closed: design §8; the pipeline's `settle` commits them); each entry names the key
 * that signs its receipt (design §9). The receipts are signed while the entries commit, from the
 * entries as numbered for their batch, and leave with the answers once those entries have committed;
 * an entry numbered anew (its batch was written another way) has its receipt signed then.
 */
import type { Entry, EntryInput } from '../../audit/entry.ts'
import type { SigningKey } from '../../receipts/keys.ts'
import type { IssuedReceipt } from '../../receipts/issuer.ts'
import type { Evaluated, Parsed, VerificationResult, VerifyDeps } from '../types.ts'

/** The answer entries of a verification, to be committed. */
export function answerEntries (v: Parsed, evaluated: readonly Evaluated[], signer: SigningKey | null): EntryInput[] {
  return evaluated.map((e) => ({
    kind: 'answer',
    ...v.base,
    question: e.question.id,
    params: e.params,
    answer: e.answer,
    asOf: e.snapshot.asOf,
    // From a connector of kind agent, the snapshot is the agent's, and the entry names the agent.
    snapshot: e.snapshot.id,
    ...(e.snapshot.agent === undefined ? {} : { detail: { agent: e.snapshot.agent.publicKey } }),
    keyVersion: e.snapshot.keyVersion,
    ...(signer === null ? {} : { receiptKid: signer.kid })
  }))
}

/** Receipts signed before their entries committed, by the entry (the object numbered) they are of. */
export type Receipts = ReadonlyMap<Entry, Promise<IssuedReceipt>>

/**
 * The receipts of the answer entries of these decisions, as numbered (`numbered`, all the decisions'
 * entries in order; `starts`: where each decision's begin), signed now. They are held until the
 * entries commit; if the commit fails they are dropped unseen.
 */
export function receiptsOf (
  decisions: ReadonlyArray<{ ok: true, parsed: Parsed, evaluated: readonly Evaluated[] } | { ok: false }>,
  starts: readonly number[],
  numbered: readonly Entry[],
  signer: SigningKey,
  deps: Pick<VerifyDeps, 'receipts'>
): Receipts {
  const receipts = new Map<Entry, Promise<IssuedReceipt>>()
  decisions.forEach((d, i) => {
    if (!d.ok) return
    d.evaluated.forEach((_e, j) => {
      const entry = numbered[starts[i]! + j]!
      const receipt = deps.receipts.issue(entry, signer, d.parsed.subject.id)
      // Awaited only if the entry commits as numbered; a failure otherwise is nobody's to report.
      receipt.catch(() => {})
      receipts.set(entry, receipt)
    })
  })
  return receipts
}

/**
 * The answers, once their entries (`written`, in the same order) have committed, with their receipts:
 * those signed while the entries committed (`early`) where the entry committed as numbered, else signed now.
 */
export async function answersOf (
  v: Parsed,
  evaluated: readonly Evaluated[],
  written: readonly Entry[],
  signer: SigningKey | null,
  deps: Pick<VerifyDeps, 'receipts'>,
  early: Receipts | null = null
): Promise<VerificationResult> {
  return {
    id: v.id,
    answers: await Promise.all(evaluated.map(async (e, i) => ({
      question: e.question.id,
      answer: e.answer,
      asOf: e.snapshot.asOf,
      auditIndex: written[i]!.index,
      ...(signer === null
        ? {}
        : await (early?.get(written[i]!) ?? deps.receipts.issue(written[i]!, signer, v.subject.id)))
    })))
  }
}
