/**
 * What happened, for whoever wants to know (metrics, logs): the domain services report through
 * callbacks that the plugins turn into these events, so that no plugin rewires another's services.
 * Events carry codes and ids only, never an identifier a client sent.
 */
import { EventEmitter } from 'node:events'
import fp from 'fastify-plugin'
import type { AlertKind } from '../../abuse/detectors.ts'
import type { ErrorCode } from '../../errors.ts'
import type { FeedResult } from '../../witness/feeder.ts'

export interface AppEvents {
  /** an abuse detector raised an alert (design §10) */
  alert: [{ kind: AlertKind, client: string | null }]
  /** an answer was given */
  answer: [{ answer: 'yes' | 'no' }]
  /** an error response was sent */
  problem: [{ code: ErrorCode, status: number }]
  /** a checkpoint was sent to a witness (design §14.5): cosigned, or why not */
  witness: [{ witness: string, result: FeedResult }]
}

declare module 'fastify' {
  interface FastifyInstance {
    events: EventEmitter<AppEvents>
  }
}

export default fp(async (app) => {
  app.decorate('events', new EventEmitter<AppEvents>())
}, { name: 'events' })
