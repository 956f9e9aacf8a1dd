/**
 * GET /v1/me/access-log (role subject): who asked about me, when, which question, for which
 * purpose and case — with the proofs that each entry is in the signed audit log.
 *
 * Reading one's own access log is not itself an audit entry: it reads only entries about the
 * reader, reveals nothing about anyone else, and an entry for it would only add noise to the
 * very list being read. A signed checkpoint covering the page is made first if the latest does
 * not (the writer does this at most once per log size), so every entry comes with its proof.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { accessEntries, inclusionProofs } from '../../../../audit/access-log.ts'
import { latestCheckpoint } from '../../../../audit/checkpoint-store.ts'
import { withErrors } from '../../../schemas/common.ts'
import { AccessLogQuery, AccessLogResponse } from '../../../schemas/receipts.ts'
import { b64 } from '../audit/entry-view.ts'
import { ACCESS_LOG_ABOUT, describeAccess } from '../../../../registry/describe.ts'

export const ACCESS_LOG_VERIFY = 'To check this page: ' +
  '(1) Fetch the checkpoint key (GET /v1/audit/checkpoint-key, or better a copy obtained elsewhere) and check ' +
  'that checkpoint.note is a C2SP signed note by that key whose origin, size and root are checkpoint.origin, ' +
  'checkpoint.size and checkpoint.root. ' +
  '(2) For each entry, decode leaf (base64): it is the entry\'s RFC 8785 JSON; check that its index is the ' +
  'entry\'s index and its subject is the `subject` above. ' +
  '(3) Compute leafHash = SHA-256(0x00 ‖ leaf) and verify proof as an RFC 9162 §2.1.3.2 inclusion proof of ' +
  'leafHash at index in the tree of checkpoint.size leaves with root checkpoint.root. ' +
  '(4) Keep the checkpoint: any later checkpoint must extend it (GET /v1/audit/proofs/consistency?from=&to=), ' +
  'which shows that no entry was removed or changed since. ' +
  'Every receipt you hold (claim idx) must appear here with the same index. Entries of confidential callers ' +
  'appear only after their disclosure delay; re-read from the start to see them.'

const me: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry, audit, checkpoints } = app

  app.get('/access-log', {
    config: { roles: ['subject'] },
    schema: {
      tags: ['access log'],
      description: 'The requests of callers about you (answers and refusals), newest first (order=oldest: oldest ' +
        'first), paged, each with the question\'s and purpose\'s titles, a plain-words summary in Chinese and ' +
        'English, its canonical bytes and its inclusion proof against a signed checkpoint. Callers registered as ' +
        'confidential appear only after their disclosure delay. `verify` says how to check the page.',
      querystring: AccessLogQuery,
      response: withErrors({ 200: AccessLogResponse })
    }
  }, async (request) => {
    const subject = keyring.audit.pseudonym(request.principal!.idNumber!)
    const limit = Math.min(Math.max(Number(request.query.limit ?? 50), 1), 200)
    const cursor = request.query.cursor === undefined ? null : Number(request.query.cursor)
    const page = await accessEntries(database, subject, limit, cursor, request.query.order ?? 'newest')
    const last = Math.max(-1, ...page.entries.map((e) => e.entry.index))
    let checkpoint = await latestCheckpoint(database)
    if (last >= 0 && (checkpoint === null || checkpoint.size <= last)) {
      await audit.checkpoint()
      checkpoint = await latestCheckpoint(database)
    }
    const size = checkpoint?.size ?? 0
    const proofs = await inclusionProofs(database, page.entries.map((e) => e.entry.index).filter((i) => i < size), size)
    const state = await registry.current()
    return {
      subject,
      about: ACCESS_LOG_ABOUT,
      entries: page.entries.map(({ entry: e, bytes }) => ({
        index: e.index,
        at: e.at,
        kind: e.kind as 'answer' | 'refusal',
        caller: e.caller ?? e.actor.sub,
        callerName: state.clients.get(e.caller ?? e.actor.sub)?.name ?? null,
        ...describeAccess(state, e, state.clients.get(e.caller ?? e.actor.sub)?.name ?? e.caller ?? e.actor.sub),
        question: e.question ?? null,
        purpose: e.purpose ?? null,
        caseId: e.caseId ?? null,
        answer: e.answer ?? null,
        code: e.code ?? null,
        consent: e.consent ?? null,
        leaf: b64(bytes),
        proof: proofs.get(e.index)?.map(b64) ?? null
      })),
      checkpoint: checkpoint === null
        ? null
        : { origin: checkpoints.origin, size: checkpoint.size, root: b64(checkpoint.root), note: checkpoint.note },
      next: page.next,
      verify: ACCESS_LOG_VERIFY
    }
  })
}

export default me
