/**
 * /v1/audit/proofs: inclusion and consistency proofs of the tamper-evident log (RFC 9162 §2.1.3,
 * §2.1.4). An auditor may prove any entry; a caller those of its own verifications.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { latestCheckpoint } from '../../../../audit/checkpoint-store.ts'
import { logSize, storedConsistencyProof, storedInclusionProof } from '../../../../audit/tree-store.ts'
import { ShifouError } from '../../../../errors.ts'
import { withErrors } from '../../../schemas/common.ts'
import { ConsistencyQuery, ConsistencyResponse, InclusionQuery, InclusionResponse } from '../../../schemas/log.ts'
import { b64, readableEntry } from './entry-view.ts'

const tags = ['audit log']

const proofs: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app

  app.get('/proofs/inclusion', {
    config: { roles: ['auditor', 'caller'] },
    schema: {
      tags,
      description: 'Inclusion proof of an entry in the tree of `size` entries (default: the latest checkpoint).',
      querystring: InclusionQuery,
      response: withErrors({ 200: InclusionResponse }, 404)
    }
  }, async (request) => {
    const index = Number(request.query.index)
    const size = request.query.size === undefined
      ? (await latestCheckpoint(database))?.size ?? await logSize(database)
      : Number(request.query.size)
    if (index >= size) throw new ShifouError('INVALID_QUERY', 'index must be below size')
    if (size > await logSize(database)) throw new ShifouError('INVALID_QUERY', 'size is beyond the end of the log')
    const stored = await readableEntry(database, request.principal!, index)
    const proof = await storedInclusionProof(database, index, size)
    return { index, size, leafHash: b64(stored.leafHash), proof: proof.map(b64) }
  })

  app.get('/proofs/consistency', {
    config: { roles: ['auditor', 'caller', 'subject'] },
    schema: {
      tags,
      description: 'Consistency proof between the trees of `from` and `to` entries (RFC 9162 §2.1.4).',
      querystring: ConsistencyQuery,
      response: withErrors({ 200: ConsistencyResponse })
    }
  }, async (request) => {
    const from = Number(request.query.from)
    const to = Number(request.query.to)
    if (from < 1 || from > to) throw new ShifouError('INVALID_QUERY', 'need 1 <= from <= to')
    if (to > await logSize(database)) throw new ShifouError('INVALID_QUERY', 'to is beyond the end of the log')
    return { from, to, proof: (await storedConsistencyProof(database, from, to)).map(b64) }
  })
}

export default proofs
