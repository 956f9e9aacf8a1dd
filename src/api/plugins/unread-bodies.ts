/**
 * A request answered before its body was all received — refused for its size, its type or its
 * token, or mid-body by a load that stopped reading — is answered with `Connection: close`, and
 * Node closes the connection once the answer is written (design §14.5).
 *
 * Draining the rest instead does not help a keep-alive client: Node's own HTTP client stops sending
 * a request body once the response has ended, and keeps the socket, so server and client each waited
 * for the other until the keep-alive timeout (~73 s measured, test/api/refusals-http.test.ts) while
 * the client's next request queued behind. Told to close, the client has its answer at once and its
 * next request goes on a new connection. What arrives meanwhile is read and discarded, so that the
 * socket is never stalled on a full buffer before it closes.
 */
import fp from 'fastify-plugin'
import type { FastifyRequest, FastifyReply } from 'fastify'

function closeIfUnread (request: FastifyRequest, reply: FastifyReply): void {
  const req = request.raw
  // (Requests injected by tests have a stand-in socket and nothing on the wire.)
  if (req.complete || req.destroyed || typeof req.socket?.destroy !== 'function') return
  reply.header('connection', 'close')
  // Whoever was reading (a body parser, a load's pipeline) has given up: the rest is discarded.
  req.unpipe()
  req.removeAllListeners('data')
  req.resume()
}

export default fp(async (app) => {
  app.addHook('onSend', async (request, reply) => { closeIfUnread(request, reply) })
}, { name: 'unread-bodies' })
