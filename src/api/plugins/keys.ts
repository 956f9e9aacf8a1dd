/** The keyring (src/keys/keyring.ts): keys derived from the master key versions, once, at start. */
import fp from 'fastify-plugin'
import type { Keyring } from '../../keys/keyring.ts'

declare module 'fastify' {
  interface FastifyInstance {
    keyring: Keyring
  }
}

export default fp<{ keyring: Keyring }>(async (app, opts) => {
  app.decorate('keyring', opts.keyring)
}, { name: 'keys' })
