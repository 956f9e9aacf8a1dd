/**
 * POST /v1/verifications/batch (design §14.6): several people — a household, a case file — for one
 * case and purpose, in one call. Each item goes through the verification pipeline on its own
 * (src/verifications/pipeline.ts): answered or refused by itself, counted by the limits and audited
 * as a verification of its own, so a refused item never blocks the others. The entries of all the
 * items commit in one transaction before the response, which lists a result per item, in order.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decide, refusalError, settle, type Decision } from '../../../../verifications/pipeline.ts'
import type { StoredResponse } from '../../../../idempotency/keys.ts'
import { verifyDeps } from '../../../../verifications/types.ts'
import { withErrors } from '../../../schemas/common.ts'
import { BatchBody, BatchResponse, IdempotencyHeaders, MAX_BATCH_ITEMS } from '../../../schemas/verification.ts'
import type { JsonValue } from '../../../../audit/entry.ts'
import { problemBody } from '../../../plugins/errors.ts'
import { beforeDeadline, requestDeadline } from '../../../../db/timeouts.ts'

const ROUTE = 'POST /v1/verifications/batch'

const batch: FastifyPluginAsyncTypebox = async (app) => {
  const deps = verifyDeps(app)

  app.post('/batch', {
    config: { roles: ['caller'] },
    // 50 items of a verification's 16 KiB would be 800 KiB; real households are far smaller.
    bodyLimit: 256 * 1024,
    schema: {
      tags: ['verifications'],
      description: `Asks registered questions about 1–${MAX_BATCH_ITEMS} people for one case and purpose. Each ` +
        'item is answered or refused on its own (its result is then `{error: problem}`, the problem it would ' +
        'have had alone), counted by the limits and audited as its own verification; the response is 200 with ' +
        'one result per item, in item order. A body that breaks the schema is refused whole (400).',
      headers: IdempotencyHeaders,
      body: BatchBody,
      response: withErrors({ 200: BatchResponse }, 409, 413, 415, 422, 429)
    }
  }, async (request, reply) => {
    const { purpose, caseId, items } = request.body
    const principal = request.principal!
    const running = app.idempotency.run(request, reply, ROUTE, items.map((i) => i.subject.idNumber),
      async (record) => {
        // The items are decided together, so the limiter takes them in one statement where it can.
        const decisions = await Promise.all(items.map(async (item) => await decide(deps, principal, {
          subject: item.subject,
          questions: item.questions,
          purpose,
          caseId,
          ...(item.consent === undefined ? {} : { consent: item.consent })
        })))
        // One commit for every item's entries (and the key's record, when the batch answered someone):
        // if it fails, nothing was answered and the whole request is a 503.
        const stored = (ds: readonly Decision[]): StoredResponse => ({
          results: ds.map((d) => d.ok
            ? { verification: d.parsed.id }
            : { error: problemBody(refusalError(d.refusal)) as Record<string, JsonValue> })
        })
        const outcomes = await settle(deps, decisions, (ds) => ds.some((d) => d.ok) ? record(stored(ds)) : null)
        return { value: outcomes, answered: outcomes.some((o) => o.ok) }
      })
    // The request as a whole, its key's claim and every stage, waits on the database at most the
    // deadline (src/db/timeouts.ts).
    const ran = await beforeDeadline(requestDeadline(app.database.timeoutMs, reply.elapsedTime), running)
    if ('replayed' in ran) return { results: ran.replayed }
    return {
      results: ran.value.map((o) => {
        if (o.ok) {
          for (const a of o.result.answers) app.events.emit('answer', { answer: a.answer })
          return o.result
        }
        const err = refusalError(o.refusal)
        app.events.emit('problem', { code: err.code, status: err.status })
        return { error: problemBody(err) }
      })
    }
  })
}

export default batch
