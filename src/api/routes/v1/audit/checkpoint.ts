/**
 * /v1/audit/checkpoint(-key): the latest signed checkpoint of the tamper-evident log (design §8),
 * and the key that signs checkpoints, published so that anyone can check them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { latestCheckpoint } from '../../../../audit/checkpoint-store.ts'
import { cosignaturesAt } from '../../../../audit/cosignature-store.ts'
import { ed25519VerifierKey } from '../../../../crypto/signed-note.ts'
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
  }, async () => ({ origin, verifierKey: ed25519VerifierKey(signer), publicKey: b64(signer.publicKey) }))

  app.get('/checkpoint', {
    config: { roles: ['auditor', 'caller', 'subject'] },
    schema: {
      tags,
      description: 'The latest signed checkpoint (C2SP tlog-checkpoint), with the witnesses\' cosignatures ' +
        '(C2SP tlog-cosignature) received so far.',
      response: withErrors({ 200: CheckpointResponse }, 404)
    }
  }, async () => {
    const cp = await latestCheckpoint(database)
    if (cp === null) throw new ShifouError('NOT_FOUND', 'No checkpoint has been signed yet')
    const cosignatures = await cosignaturesAt(database, cp.size)
    return {
      origin,
      size: cp.size,
      root: b64(cp.root),
      // Readers that do not know a witness's key ignore its line (c2sp.org/signed-note).
      note: cp.note + cosignatures.map((c) => c.signature + '\n').join(''),
      createdAt: cp.createdAt,
      cosignatures: cosignatures.map(({ witness, keyId, cosignedAt, signature }) =>
        ({ witness, keyId, cosignedAt, signature }))
    }
  })
}

export default checkpoint
