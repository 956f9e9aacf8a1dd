/** POST /v1/verifications: yes or no, per question (design §5 "Caller"; src/verifications/pipeline.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { refusalError, verify } from '../../../../verifications/pipeline.ts'
import { verifyDeps } from '../../../../verifications/types.ts'
import { withErrors } from '../../../schemas/common.ts'
import { IdempotencyHeaders, VerificationBody, VerificationResponse } from '../../../schemas/verification.ts'
import { ShifouError } from '../../../../errors.ts'
import { beforeDeadline, requestDeadline } from '../../../../db/timeouts.ts'

const ROUTE = 'POST /v1/verifications'

const verifications: FastifyPluginAsyncTypebox = async (app) => {
  const deps = verifyDeps(app)

  app.post('', {
    config: { roles: ['caller'] },
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['verifications'],
      description: 'Asks registered questions about one subject, for one case and purpose. Answered whole or ' +
        'refused whole; every answer and refusal is an audit entry committed before the response.',
      headers: IdempotencyHeaders,
      body: VerificationBody,
      response: withErrors({ 200: VerificationResponse }, 409, 413, 415, 422, 429)
    }
  }, async (request, reply) => {
    const body = request.body
    const running = app.idempotency.run(request, reply, ROUTE, [body.subject.idNumber], async (record) => {
      // Only an answer is recorded with a key: a refusal lets the key go, so a retry runs again.
      const outcome = await verify(deps, request.principal!, body, (decisions) =>
        decisions[0]?.ok === true ? record({ results: [{ verification: decisions[0].parsed.id }] }) : null)
      return { value: outcome, answered: outcome.ok }
    })
    // The request as a whole, its key's claim and every stage, waits on the database at most the
    // deadline (src/db/timeouts.ts).
    const ran = await beforeDeadline(requestDeadline(app.database.timeoutMs, reply.elapsedTime), running)
    if ('replayed' in ran) {
      const [first] = ran.replayed
      if (first === undefined || 'error' in first) throw new ShifouError('INTERNAL')
      return first
    }
    const outcome = ran.value
    // A refusal is audited by the pipeline already: it is sent, not thrown to the error handler.
    if (!outcome.ok) return reply.problem(refusalError(outcome.refusal))
    for (const a of outcome.result.answers) app.events.emit('answer', { answer: a.answer })
    return outcome.result
  })
}

export default verifications
