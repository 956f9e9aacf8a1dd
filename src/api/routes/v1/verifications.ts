/** POST /v1/verifications: yes or no, per question (design §5 "Caller"). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { verify } from '../../../verifications/pipeline.ts'
import { withErrors } from '../../schemas/common.ts'
import { VerificationBody, VerificationResponse } from '../../schemas/verification.ts'

const verifications: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry, lookups, audit, abuse, receipts, consent } = app.services
  const deps = { database, keyring, registry, lookups, audit, consent, ...(abuse === null ? {} : { abuse }), ...(receipts === null ? {} : { receipts }) }

  app.post('/v1/verifications', {
    config: { roles: ['caller'] },
    bodyLimit: 16 * 1024,
    schema: {
      tags: ['verifications'],
      description: 'Asks registered questions about one subject, for one case and purpose. Answered whole or refused whole; every answer and refusal is an audit entry committed before the response.',
      body: VerificationBody,
      response: withErrors({ 200: VerificationResponse }, 409, 413, 415, 429)
    }
  }, async (request) => {
    const result = await verify(deps, request.principal!, request.body)
    for (const a of result.answers) app.metrics.answers.inc({ answer: a.answer })
    return result
  })
}

export default verifications
