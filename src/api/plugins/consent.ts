/** The subject's consent (src/consent): the configured issuers, and the record of consents used. */
import fp from 'fastify-plugin'
import { ConsentVerifier, consumeConsent, type Consent } from '../../consent/check.ts'
import { loadConsentIssuers } from '../../consent/issuers.ts'

declare module 'fastify' {
  interface FastifyInstance {
    consent: { verifier: ConsentVerifier, consume: (consent: Consent) => Promise<boolean> }
  }
}

export default fp<{ issuersFile: string | null }>(async (app, opts) => {
  const verifier = new ConsentVerifier(opts.issuersFile === null ? new Map() : loadConsentIssuers(opts.issuersFile))
  const consume = async (consent: Consent): Promise<boolean> => await consumeConsent(app.database, consent)
  app.decorate('consent', { verifier, consume })
}, { name: 'consent', dependencies: ['database'] })
