/**
 * The printable certificate of a verification (issue "signed receipts", item 4): one A4 page in
 * Chinese or English with the title, a statement per answer, the answers, their snapshot dates
 * and audit indices, the masked ID number, the verification id, the issue time, and per answer a
 * QR code holding its receipt, which anyone can check offline against /.well-known/jwks.json.
 *
 * The page never carries the full ID number, nor the receipt's nonce: with the masked number
 * (4 + 4 characters shown) the ten hidden ones are a region pair and a birth date, about 3.7
 * million candidates, so a nonce printed beside them would let anyone holding the paper recover
 * the whole number by hashing them all. The nonce stays with the system that asked.
 * Every value is HTML-escaped; the QR SVG comes from the QR encoder, not from the request.
 */
import { YES_NO, certificateTitle, statement, type Lang } from './certificate-text.ts'

export interface CertificateAnswer {
  question: string
  questionTitle: string
  answer: 'yes' | 'no'
  asOf: string
  params: Record<string, string | number | boolean>
  auditIndex: number
  receipt: string
  /** the QR code of `receipt`, an SVG document */
  qrSvg: string
}

export interface CertificateData {
  lang: Lang
  verification: string
  maskedId: string
  /** RFC 3339 time of the answers' audit entries */
  issuedAt: string
  callerName: string
  purpose: string
  caseId: string
  issuer: string
  kid: string
  answers: CertificateAnswer[]
}

const LABELS: Record<string, Record<Lang, string>> = {
  idNumber: { zh: '公民身份号码', en: 'Resident ID number' },
  verification: { zh: '核验编号', en: 'Verification id' },
  issuedAt: { zh: '出具时间', en: 'Issued at' },
  requester: { zh: '查询单位', en: 'Requested by' },
  purpose: { zh: '用途', en: 'Purpose' },
  caseId: { zh: '业务编号', en: 'Case id' },
  question: { zh: '核验事项', en: 'Question' },
  answer: { zh: '结果', en: 'Answer' },
  asOf: { zh: '数据截至', en: 'Data as of' },
  auditIndex: { zh: '审计日志序号', en: 'Audit log index' },
  seal: { zh: '电子签章', en: 'Electronic seal' },
  verify: {
    zh: '本证明的每项结果均附有电子签章（二维码内为签名回执，EdDSA/Ed25519）。' +
      '任何人可离线核验：扫描二维码后使用 shifou receipt verify 命令或任一 JOSE 库，以 /.well-known/jwks.json 公布的公钥验证；' +
      '回执中的审计日志序号可在签名的审计日志中得到包含证明。',
    en: 'Each answer carries an electronic seal: its QR code holds a signed receipt (EdDSA/Ed25519). ' +
      'Anyone can check it offline with the command shifou receipt verify or any JOSE library ' +
      'against the keys published at /.well-known/jwks.json; ' +
      'its audit index can be proved to be in the signed audit log.'
  },
  nonce: {
    zh: '回执中的主体承诺可用身份证号码与查询单位收到的随机数核对；该随机数不印在本证明上，因为与脱敏号码一起会暴露完整号码。',
    en: 'The receipt\'s subject commitment can be checked with the ID number and the nonce given to the requesting ' +
      'system; the nonce is not printed here, because beside the masked number it would reveal the whole number.'
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

/** An RFC 3339 instant as China Standard Time, `YYYY-MM-DD HH:mm:ss (UTC+8)`. */
export function cstTime (iso: string): string {
  const t = new Date(Date.parse(iso) + 8 * 3600_000).toISOString()
  return `${t.slice(0, 10)} ${t.slice(11, 19)} (UTC+8)`
}

export function renderCertificate (d: CertificateData): string {
  const L = (key: string): string => escapeHtml(LABELS[key]![d.lang])
  const title = escapeHtml(certificateTitle(d.lang, d.answers))
  const row = (label: string, value: string): string => `<tr><th>${label}</th><td>${value}</td></tr>`
  const answers = d.answers.map((a) => `
  <section class="answer">
    <div class="text">
      <p class="statement">${escapeHtml(statement(d.lang, a.question, a.questionTitle, a.answer, a.params, a.asOf))}</p>
      <table>
        ${row(L('question'), `${escapeHtml(a.questionTitle)} <code>${escapeHtml(a.question)}</code>`)}
        ${row(L('answer'), `<strong>${escapeHtml(YES_NO[a.answer][d.lang])}</strong>`)}
        ${row(L('asOf'), escapeHtml(a.asOf))}
        ${row(L('auditIndex'), String(a.auditIndex))}
      </table>
      <p class="receipt"><code>${escapeHtml(a.receipt)}</code></p>
    </div>
    <figure class="qr">${a.qrSvg}<figcaption>${L('seal')}</figcaption></figure>
  </section>`).join('')
  return `<!doctype html>
<html lang="${d.lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
  @page { size: A4; margin: 18mm; }
  body { font-family: "Noto Serif CJK SC", "Songti SC", SimSun, serif; color: #000; max-width: 180mm; margin: 0 auto; }
  h1 { text-align: center; font-size: 26pt; margin: 8mm 0; }
  html[lang="zh-CN"] h1 { letter-spacing: 0.2em; }
  table { border-collapse: collapse; margin: 2mm 0; }
  th { text-align: left; font-weight: normal; color: #444; padding: 1mm 4mm 1mm 0; white-space: nowrap; }
  td { padding: 1mm 0; }
  .answer { display: flex; gap: 6mm; border-top: 1px solid #888; padding: 4mm 0; break-inside: avoid; }
  .answer .text { flex: 1; min-width: 0; }
  .statement { font-size: 13pt; }
  .qr { margin: 0; width: 45mm; text-align: center; }
  .qr svg { width: 45mm; height: 45mm; }
  .qr figcaption { font-size: 9pt; }
  .receipt { line-height: 1; }
  .receipt code { font-size: 5pt; word-break: break-all; color: #555; }
  footer { border-top: 1px solid #888; font-size: 9pt; color: #333; padding-top: 3mm; }
</style>
</head>
<body>
<h1>${title}</h1>
<table>
  ${row(L('idNumber'), `<code>${escapeHtml(d.maskedId)}</code>`)}
  ${row(L('verification'), `<code>${escapeHtml(d.verification)}</code>`)}
  ${row(L('issuedAt'), escapeHtml(cstTime(d.issuedAt)))}
  ${row(L('requester'), escapeHtml(d.callerName))}
  ${row(L('purpose'), escapeHtml(d.purpose))}
  ${row(L('caseId'), escapeHtml(d.caseId))}
</table>
${answers}
<footer>
  <p>${L('verify')}</p>
  <p>${L('nonce')}</p>
  <p>iss <code>${escapeHtml(d.issuer)}</code> · kid <code>${escapeHtml(d.kid)}</code></p>
</footer>
</body>
</html>
`
}
