/**
 * Stage 7: the answers' audit entries, then the answers. Nothing is returned before the entries
 * commit (fail closed: design §8; the pipeline's `settle` commits them); each entry names the key
 * that signs its receipt, and the receipts are signed once the entries have committed (design §9).
 */
import type { Entry, EntryInput } from '../../audit/entry.ts'
import type { SigningKey } from '../../receipts/keys.ts'
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

/** The answers, once their entries (`written`, in the same order) have committed, with their receipts. */
export async function answersOf (
  v: Parsed,
  evaluated: readonly Evaluated[],
  written: readonly Entry[],
  signer: SigningKey | null,
  deps: Pick<VerifyDeps, 'receipts'>
): Promise<VerificationResult> {
  return {
    id: v.id,
    answers: await Promise.all(evaluated.map(async (e, i) => ({
      question: e.question.id,
      answer: e.answer,
      asOf: e.snapshot.asOf,
      auditIndex: written[i]!.index,
      ...(signer === null ? {} : await deps.receipts.issue(written[i]!, signer, v.subject.id))
    })))
  }
}
