/**
 * A close that does not wait on keep-alive clients. On close the server stops accepting
 * connections and closes its idle ones, but a request already in flight is answered on a connection
 * that then stays open until keepAliveTimeout (72 s): close — and the audit flush in the onClose
 * hooks after it — waited that long whenever a client keeps its connections (70 s measured for ten
 * in-flight requests), and close-with-grace's 10 s ended the process first. Once closing has begun,
 * every reply says `Connection: close`, so Node closes each socket as soon as its answer is sent.
 */
import fp from 'fastify-plugin'

export default fp(async (app) => {
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close')
  })
}, { name: 'closing' })
