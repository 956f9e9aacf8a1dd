/**
 * Printed certificates (design §14.4): what they say about their issuer (src/receipts/
 * certificate-config.ts) and the short links their QR codes hold (src/receipts/links.ts).
 */
import fp from 'fastify-plugin'
import { DEFAULT_CERTIFICATE_CONFIG, type CertificateConfig } from '../../receipts/certificate-config.ts'
import { LINK_KEY_INFO, ReceiptLinks } from '../../receipts/links.ts'

declare module 'fastify' {
  interface FastifyInstance {
    certificates: { config: CertificateConfig, links: ReceiptLinks }
  }
}

export default fp<{ config?: CertificateConfig }>(async (app, opts) => {
  app.decorate('certificates', {
    config: opts.config ?? DEFAULT_CERTIFICATE_CONFIG,
    links: new ReceiptLinks(app.keyring.derive(LINK_KEY_INFO))
  })
}, { name: 'certificates', dependencies: ['database', 'keys'] })
