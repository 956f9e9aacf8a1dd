/**
 * POST /v1/verifications/:id/certificate: the printable certificate of a caller's own
 * verification (HTML, design §14.4), or its QR code alone (SVG or PNG) for a kiosk's printer.
 *
 * POST, not GET: the request carries the subject's ID number (and the name to print), which must
 * never be in a URL or a log line. The ID's audit pseudonym must be the subject of the
 * verification's entries (403 otherwise, audited like every refusal); only its masked form is
 * printed. A name is printed, masked, only when the verification confirmed it: a question that
 * compares the subject's name answered `yes` (409 NAME_NOT_CHECKED otherwise). The receipts are
 * rebuilt from the audit entries, byte for byte the ones returned with the answers, and saved
 * behind the short link the QR code holds (src/receipts/links.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { maskIdNumber, normaliseIdNumber, todayCst } from '../../../../matchers/cn-resident-id.ts'
import { normaliseName } from '../../../../matchers/cn-name.ts'
import { ShifouError } from '../../../../errors.ts'
import { answerEntriesOf } from '../../../../receipts/reissue.ts'
import { cstDate, renderCertificate } from '../../../../receipts/certificate.ts'
import { qrPng, qrSvg } from '../../../../receipts/qr.ts'
import { pickTitle, purposeTitles, questionTitles } from '../../../../registry/titles.ts'
import { withErrors } from '../../../schemas/common.ts'
import { CertificateBody, VerificationParams } from '../../../schemas/receipts.ts'

/** A name masked for print: its first character, and its last when it has three or more. */
export function maskName (name: string): string {
  const chars = [...name]
  if (chars.length <= 1) return name
  if (chars.length === 2) return chars[0] + '*'
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1]
}

/** YYYY-MM-DD plus `days` calendar days. */
function addDays (date: string, days: number): string {
  return new Date(Date.parse(date + 'T00:00:00Z') + days * 86400_000).toISOString().slice(0, 10)
}

const receipts: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry, receipts } = app
  const { config, links } = app.certificates

  const base = (request: FastifyRequest): string => config.publicUrl ?? `${request.protocol}://${request.host}`

  app.post('/:id/certificate', {
    config: { roles: ['caller'] },
    bodyLimit: 4 * 1024,
    schema: {
      tags: ['receipts'],
      description: 'The printable certificate of one of your verifications (format html, lang zh or en): one A4 ' +
        'page with the masked name (when `name` is given and the verification confirmed it) and ID number, a ' +
        'statement per answer, issuer, validity and one QR code that opens the receipt check page. Format svg ' +
        'or png: that QR code alone; with `question`, the QR code of that answer\'s receipt itself.',
      params: VerificationParams,
      body: CertificateBody,
      response: withErrors({ 200: Type.String({ description: 'text/html, image/svg+xml or image/png' }) }, 404, 409)
    }
  }, async (request, reply) => {
    const id = normaliseIdNumber(request.body.idNumber, todayCst())
    if (!id.ok) throw new ShifouError('INVALID_ID_NUMBER', 'idNumber is not a valid resident ID number')
    let name: string | null = null
    if (request.body.name !== undefined) {
      const n = normaliseName(request.body.name)
      if (!n.ok) throw new ShifouError('INVALID_NAME', 'name is not a name that can be printed')
      name = n.value
    }
    const principal = request.principal!
    const entries = await answerEntriesOf(database, keyring.audit.pseudonym(id.value), request.params.id)
    // Unknown verification, another subject, or another caller's: one answer, so the route tells nothing.
    if (entries.length === 0 || entries.some((e) => e.caller !== principal.sub)) {
      throw new ShifouError('FORBIDDEN', 'No verification of yours with this id is about this subject')
    }
    const state = await registry.current()
    if (name !== null && !entries.some((e) =>
      e.answer === 'yes' && state.questions.get(e.question ?? '')?.predicate.usesSubjectName === true)) {
      throw new ShifouError('NAME_NOT_CHECKED', 'This verification did not confirm a name: ask a name question ' +
        '(such as identity.name_matches) with the name, or leave name out')
    }
    const issued = await Promise.all(entries.map(async (e) => await receipts.reissue(e, id.value)))
    if (issued.some((r) => r === null)) {
      throw new ShifouError('CONFLICT', 'This verification was answered without receipts')
    }
    const receiptsOf = issued.map((r) => r!.receipt)

    const format = request.body.format ?? 'html'
    if (format !== 'html' && request.body.question !== undefined) {
      const pick = entries.findIndex((e) => e.question === request.body.question)
      if (pick < 0) throw new ShifouError('INVALID_BODY', 'This verification did not ask that question')
      if (format === 'svg') return reply.type('image/svg+xml; charset=utf-8').send(await qrSvg(receiptsOf[pick]!))
      return reply.type('image/png').send(await qrPng(receiptsOf[pick]!))
    }

    const first = entries[0]!
    const validUntil = addDays(cstDate(first.at), config.validDays)
    const token = await links.save(database, {
      verification: request.params.id,
      receipts: receiptsOf,
      maskedId: maskIdNumber(id.value),
      maskedName: name === null ? null : maskName(name),
      issuedAt: first.at,
      validUntil
    })
    const checkUrl = `${base(request)}/r#${token}`
    if (format === 'svg') return reply.type('image/svg+xml; charset=utf-8').send(await qrSvg(checkUrl))
    if (format === 'png') return reply.type('image/png').send(await qrPng(checkUrl, 6))

    const lang = request.body.lang ?? 'zh'
    const html = renderCertificate({
      lang,
      verification: request.params.id,
      maskedId: maskIdNumber(id.value),
      maskedName: name === null ? null : maskName(name),
      issuedAt: first.at,
      validUntil,
      callerName: state.clients.get(principal.sub)?.name ?? principal.sub,
      purposeTitle: purposeTitles(state, first.purpose ?? '')[lang],
      caseId: first.caseId ?? '',
      organisation: config.organisation[lang],
      jurisdiction: config.jurisdiction[lang],
      seal: config.seal,
      checkUrl,
      qrSvg: await qrSvg(checkUrl),
      answers: entries.map((e) => ({
        question: e.question ?? '',
        questionTitle: pickTitle(lang, questionTitles(state, e.question ?? ''), e.question ?? ''),
        answer: e.answer ?? 'no',
        asOf: e.asOf ?? '',
        params: e.params ?? {}
      }))
    })
    return reply.type('text/html; charset=utf-8').send(html)
  })
}

export default receipts
