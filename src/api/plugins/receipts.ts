/**
 * Receipts (design §9): the signing keys and the issuer of each answer's receipt. A current key
 * exists before the first answer (made here on a fresh database). Benchmarks inject NO_RECEIPTS.
 */
import fp from 'fastify-plugin'
import { ReceiptService } from '../../receipts/service.ts'
import type { ReceiptIssuer } from '../../receipts/issuer.ts'

declare module 'fastify' {
  interface FastifyInstance {
    receipts: ReceiptIssuer
  }
}

export interface ReceiptsOptions {
  /** `iss` of receipts and the audit log's origin they name */
  issuer: string
  log: string
  /** Replaces the signing issuer (a benchmark's NO_RECEIPTS). */
  override?: ReceiptIssuer
}

export default fp<ReceiptsOptions>(async (app, opts) => {
  if (opts.override !== undefined) {
    app.decorate('receipts', opts.override)
    return
  }
  const { issuer, log } = opts
  const service = new ReceiptService({ database: app.database, keyring: app.keyring, issuer, log })
  await service.init()
  app.addHook('onClose', async () => { await service.close() })
  app.decorate('receipts', service)
}, { name: 'receipts', dependencies: ['database', 'keys'] })
