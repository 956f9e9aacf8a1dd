/**
 * /v1/audit/checkpoint(-key): the latest signed checkpoint of the tamper-evident log (design §8),
 * and the key that signs checkpoints, published so that anyone can check them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { latestCheckpoint } from '../../../../audit/checkpoint-store.ts'
import { verifierKey } from '../../../../audit/checkpoint-note.ts'
import { ShifouError } from '../../../../errors.ts'
import { withErrors } from '../../../schemas/common.ts'
import { CheckpointKeyResponse, CheckpointResponse } from '../../../schemas/log.ts'
import { b64 } from './entry-view.ts'

const tags = ['audit log']

const checkpoint: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app
  const { signer, origin } = app.checkpoints

  app.get('/checkpoint-key', {
    config: { roles: 'public' },
    schema: {
      tags,
      description: 'The checkpoint signing key, published so anyone can verify checkpoints.',
      response: { 200: CheckpointKeyResponse }
    }
  }, async () => ({ origin, verifierKey: verifierKey(signer), publicKey: b64(signer.publicKey) }))

  app.get('/checkpoint', {
    config: { roles: ['auditor', 'caller', 'subject'] },
    schema: {
      tags,
      description: 'The latest signed checkpoint (C2SP tlog-checkpoint).',
      response: withErrors({ 200: CheckpointResponse }, 404)
    }
  }, async () => {
    const cp = await latestCheckpoint(database)
    if (cp === null) throw new ShifouError('NOT_FOUND', 'No checkpoint has been signed yet')
    return { origin, size: cp.size, root: b64(cp.root), note: cp.note, createdAt: cp.createdAt }
  })
}

export default checkpoint
