/**
 * POST /v1/verifications/:id/certificate: the printable certificate of a caller's own
 * verification (HTML), or the QR code of one answer's receipt (SVG or PNG), for the kiosk.
 *
 * POST, not GET: the request carries the subject's ID number, which must never be in a URL or a
 * log line. The ID's audit pseudonym must be the subject of the verification's entries (403
 * otherwise, audited like every refusal); only its masked form is printed. The receipts are
 * rebuilt from the audit entries, byte for byte the ones returned with the answers.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { maskIdNumber, normaliseIdNumber, todayCst } from '../../../../matchers/cn-resident-id.ts'
import { ShifouError } from '../../../../errors.ts'
import { answerEntriesOf } from '../../../../receipts/reissue.ts'
import { renderCertificate } from '../../../../receipts/certificate.ts'
import { qrPng, qrSvg } from '../../../../receipts/qr.ts'
import { withErrors } from '../../../schemas/common.ts'
import { CertificateBody, VerificationParams } from '../../../schemas/receipts.ts'

const receipts: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry, receipts } = app

  app.post('/:id/certificate', {
    config: { roles: ['caller'] },
    bodyLimit: 4 * 1024,
    schema: {
      tags: ['receipts'],
      description: 'The printable certificate of one of your verifications (format html, lang zh or en), or the QR ' +
        'code of one answer\'s receipt (format svg or png; `question` picks the answer when there are several). ' +
        'The body carries the subject\'s ID number, which must be the verification\'s subject (403 otherwise); ' +
        'the page shows only its masked form (4406**********123X) and not the receipts\' nonces. ' +
        'The receipts in the QR codes are byte for byte those returned with the answers.',
      params: VerificationParams,
      body: CertificateBody,
      response: withErrors({ 200: Type.String({ description: 'text/html, image/svg+xml or image/png' }) }, 404, 409)
    }
  }, async (request, reply) => {
    const id = normaliseIdNumber(request.body.idNumber, todayCst())
    if (!id.ok) throw new ShifouError('INVALID_ID_NUMBER', 'idNumber is not a valid resident ID number')
    const principal = request.principal!
    const entries = await answerEntriesOf(database, keyring.audit.pseudonym(id.value), request.params.id)
    // Unknown verification, another subject, or another caller's: one answer, so the route tells nothing.
    if (entries.length === 0 || entries.some((e) => e.caller !== principal.sub)) {
      throw new ShifouError('FORBIDDEN', 'No verification of yours with this id is about this subject')
    }
    const issued = await Promise.all(entries.map(async (e) => await receipts.reissue(e, id.value)))
    if (issued.some((r) => r === null)) {
      throw new ShifouError('CONFLICT', 'This verification was answered without receipts')
    }
    const receiptsOf = issued.map((r) => r!.receipt)

    const format = request.body.format ?? 'html'
    if (format !== 'html') {
      const pick = request.body.question === undefined
        ? (entries.length === 1 ? 0 : -1)
        : entries.findIndex((e) => e.question === request.body.question)
      if (pick < 0) {
        throw new ShifouError('INVALID_BODY', request.body.question === undefined
          ? 'This verification has several answers: name one in `question`'
          : 'This verification did not ask that question')
      }
      if (format === 'svg') return reply.type('image/svg+xml; charset=utf-8').send(await qrSvg(receiptsOf[pick]!))
      return reply.type('image/png').send(await qrPng(receiptsOf[pick]!))
    }

    const state = await registry.current()
    const first = entries[0]!
    const html = renderCertificate({
      lang: request.body.lang ?? 'zh',
      verification: request.params.id,
      maskedId: maskIdNumber(id.value),
      issuedAt: first.at,
      callerName: state.clients.get(principal.sub)?.name ?? principal.sub,
      purpose: first.purpose ?? '',
      caseId: first.caseId ?? '',
      issuer: receipts.context.issuer,
      kid: first.receiptKid ?? '',
      answers: await Promise.all(entries.map(async (e, i) => ({
        question: e.question ?? '',
        questionTitle: state.questions.get(e.question ?? '')?.title ?? e.question ?? '',
        answer: e.answer ?? 'no',
        asOf: e.asOf ?? '',
        params: e.params ?? {},
        auditIndex: e.index,
        receipt: receiptsOf[i]!,
        qrSvg: await qrSvg(receiptsOf[i]!)
      })))
    })
    return reply.type('text/html; charset=utf-8').send(html)
  })
}

export default receipts
