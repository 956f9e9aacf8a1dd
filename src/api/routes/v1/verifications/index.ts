/** POST /v1/verifications: yes or no, per question (design §5 "Caller"; src/verifications/pipeline.ts). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { refusalError, verify } from '../../../../verifications/pipeline.ts'
import type { VerifyDeps } from '../../../../verifications/types.ts'
import { withErrors } from '../../../schemas/common.ts'
import { VerificationBody, VerificationResponse } from '../../../schemas/verification.ts'

const verifications: FastifyPluginAsyncTypebox = async (app) => {
  const deps: VerifyDeps = {
    keyring: app.keyring,
    registry: app.registry,
    records: app.records,
    admission: app.admission,
    audit: app.audit,
    receipts: app.receipts,
    consent: app.consent
  }

  app.post('', {
    config: { roles: ['caller'] },
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['verifications'],
      description: 'Asks registered questions about one subject, for one case and purpose. Answered whole or ' +
        'refused whole; every answer and refusal is an audit entry committed before the response.',
      body: VerificationBody,
      response: withErrors({ 200: VerificationResponse }, 409, 413, 415, 429)
    }
  }, async (request, reply) => {
    const outcome = await verify(deps, request.principal!, request.body)
    // A refusal is audited by the pipeline already: it is sent, not thrown to the error handler.
    if (!outcome.ok) return reply.problem(refusalError(outcome.refusal))
    for (const a of outcome.result.answers) app.events.emit('answer', { answer: a.answer })
    return outcome.result
  })
}

export default verifications
