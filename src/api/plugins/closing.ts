/**
 * Closing cleanly (design §14.5). On close the server stops accepting connections and closes its
 * idle ones, but a request already in flight is answered on a connection that then stays open
 * until keepAliveTimeout (72 s): close — and the audit flush in the onClose hooks after it — waited
 * that long whenever a client keeps its connections (70 s measured for ten in-flight requests), and
 * close-with-grace's 10 s ended the process first. Once closing has begun, every reply says
 * `Connection: close`, so Node closes each socket as soon as its answer is sent.
 *
 * A request that arrives while closing (on a connection that was busy, or pipelined) is refused
 * with 503 SHUTTING_DOWN, a problem body like every refusal, instead of Fastify's own 503 body
 * (`return503OnClosing` is off in app.ts): its onRequest hook comes before the auth plugin's, so
 * nothing of the request is looked at.
 */
import fp from 'fastify-plugin'
import { ShifouError } from '../../errors.ts'

export default fp(async (app) => {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', async (_request, reply) => {
    if (closing) {
      return reply.header('connection', 'close')
        .problem(new ShifouError('SHUTTING_DOWN', 'The service is shutting down; retry on another instance or later'))
    }
  })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
}, { name: 'closing', dependencies: ['errors'] })
