/**
 * The receipt check page (design §14.4): `GET /r` serves the page a certificate's QR code opens
 * (`/r#<token>` or `/r#<receipt>`); its script (/assets/receipt-check.js) reads the fragment, which
 * the browser never sends, and verifies the receipts in the browser with /assets/verify.js against
 * /.well-known/jwks.json. `GET /v1/receipt-links/:token` gives a printed certificate's receipts and
 * what the page shows beside them: the masked name and ID the paper printed, and the titles of the
 * questions and purpose. Both public: the clerk holding the paper has no account.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { readFileSync } from 'node:fs'
import { ShifouError } from '../../../errors.ts'
import { decodeCompact } from '../../../crypto/jws.ts'
import { readLink, TOKEN_PATTERN } from '../../../receipts/links.ts'
import { purposeTitles, questionTitles } from '../../../registry/titles.ts'
import { Strict, withErrors } from '../../schemas/common.ts'
import { PUBLIC_DIR } from './assets.ts'

/** No inline script or style, nothing from another host; the page may not be framed. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const ZhEn = Type.Object({ zh: Type.String(), en: Type.String() })
const LinkResponse = Type.Object({
  receipts: Type.Array(Type.String({ description: 'compact JWS' })),
  subject: Type.Object({
    maskedId: Type.String({ description: 'as the certificate printed it, e.g. 4406**********123X' }),
    maskedName: Type.Union([Type.String(), Type.Null()], { description: 'as printed, or null when none was' })
  }),
  issuedAt: Type.String(),
  validUntil: Type.String({ description: 'YYYY-MM-DD, China Standard Time' }),
  callerName: Type.Union([Type.String(), Type.Null()]),
  organisation: ZhEn,
  titles: Type.Object({
    questions: Type.Record(Type.String(), ZhEn),
    purposes: Type.Record(Type.String(), ZhEn)
  })
}, { description: 'Only the receipts are signed: the page verifies them and shows the rest as the service states it' })

const page = readFileSync(new URL('receipt-check.html', PUBLIC_DIR), 'utf8')

const receiptCheck: FastifyPluginAsyncTypebox = async (app) => {
  const { database, registry } = app
  const { config } = app.certificates

  app.get('/r', {
    config: { roles: 'public' },
    schema: {
      tags: ['pages'],
      description: 'The receipt check page that a certificate\'s QR code opens (`/r#<token>`, or `/r#<receipt>`).',
      response: { 200: Type.String({ description: 'text/html' }) }
    }
  }, async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CSP)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    return reply.type('text/html; charset=utf-8').send(page)
  })

  app.get('/v1/receipt-links/:token', {
    config: { roles: 'public' },
    schema: {
      tags: ['receipts'],
      description: 'A printed certificate\'s receipts, by the token of its QR code, with what the check page ' +
        'shows beside them. The receipts are to be verified against /.well-known/jwks.json.',
      params: Type.Object({ token: Type.String({ pattern: TOKEN_PATTERN }) }, Strict),
      response: withErrors({ 200: LinkResponse }, 404)
    }
  }, async (request, reply) => {
    const link = await readLink(database, request.params.token)
    if (link === null) throw new ShifouError('NOT_FOUND', 'No certificate has this link')
    const state = await registry.current()
    const questions: Record<string, { zh: string, en: string }> = {}
    const purposes: Record<string, { zh: string, en: string }> = {}
    let caller: string | null = null
    for (const r of link.receipts) {
      const p = decodeCompact(r)?.payload
      if (typeof p?.q === 'string') questions[p.q] = questionTitles(state, p.q)
      if (typeof p?.pur === 'string') purposes[p.pur] = purposeTitles(state, p.pur)
      if (typeof p?.cli === 'string') caller = p.cli
    }
    reply.header('cache-control', 'no-store')
    return {
      receipts: link.receipts,
      subject: { maskedId: link.maskedId, maskedName: link.maskedName },
      issuedAt: link.issuedAt,
      validUntil: link.validUntil,
      callerName: caller === null ? null : state.clients.get(caller)?.name ?? caller,
      organisation: config.organisation,
      titles: { questions, purposes }
    }
  })
}

export default receiptCheck
