/**
 * Idempotency keys (design §14.6; src/idempotency): `app.idempotency` claims a request's key,
 * records its answer with the audit entries, replays a repeat, and lets a key go after a request
 * that ended without an answer. Keys past their 24 hours are deleted every ten minutes.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ShifouError } from '../../errors.ts'
import {
  claimKey, completion, expireKeys, KeyHasher, releaseKey, type KeyScope, type StoredResponse
} from '../../idempotency/keys.ts'
import { replay, type ReplayedResult } from '../../idempotency/replay.ts'
import type { Companion } from '../../audit/writer.ts'

const CLEANUP_MS = 10 * 60_000

/**
 * What a keyed request does: decide, and settle with the companion `record` gives it (null without a
 * key), then say whether it answered (only then is the key kept).
 */
export type KeyedWork<T> = (
  record: (stored: StoredResponse) => Companion | null
) => Promise<{ value: T, answered: boolean }>

export interface Idempotency {
  /**
   * Runs `work` under the request's Idempotency-Key, or replays the first response: `idNumbers` are
   * the subjects of the results, in order, as the request sent them. Without a key, runs `work` alone.
   */
  run<T>(
    request: FastifyRequest, reply: FastifyReply, route: string, idNumbers: readonly string[], work: KeyedWork<T>
  ): Promise<{ replayed: ReplayedResult[] } | { value: T }>
}

declare module 'fastify' {
  interface FastifyInstance {
    idempotency: Idempotency
  }
}

export default fp(async (app) => {
  const hasher = new KeyHasher(app.keyring.derive('shifou/v1/idempotency'))
  const { database } = app

  const idempotency: Idempotency = {
    async run (request, reply, route, idNumbers, work) {
      const key = request.headers['idempotency-key']
      if (typeof key !== 'string') return { value: (await work(() => null)).value }
      const scope: KeyScope = hasher.scope(request.principal!.sub, key, route, request.body)
      const claim = await claimKey(database, scope)
      if (claim.kind === 'reused') {
        throw new ShifouError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request ' +
          '(another body or route) in the last 24 hours; use a new key for a new request')
      }
      if (claim.kind === 'in-progress') {
        throw new ShifouError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being ' +
          'answered; repeat it after Retry-After to get its response', { retryAfter: 1 })
      }
      if (claim.kind === 'replay') {
        reply.header('idempotent-replayed', 'true')
        const deps = { database, keyring: app.keyring, receipts: app.receipts }
        return { replayed: await replay(deps, claim.stored, idNumbers) }
      }
      let answered = false
      try {
        const done = await work((stored) => completion(scope, claim.claim, stored))
        answered = done.answered
        return { value: done.value }
      } finally {
        // Refused, or not written: the key is free for a retry (a record already done is kept).
        if (!answered) await releaseKey(database, scope, claim.claim).catch(() => {})
      }
    }
  }
  app.decorate('idempotency', idempotency)

  const timer = setInterval(() => { expireKeys(database).catch(() => {}) }, CLEANUP_MS)
  timer.unref()
  app.addHook('onClose', async () => { clearInterval(timer) })
}, { name: 'idempotency', dependencies: ['database', 'keys', 'receipts'] })
