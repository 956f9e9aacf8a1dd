/**
 * The printable certificate of a verification (design §14.4): one A4 page, in Chinese or English,
 * that a housing clerk reads without help — the title of its most specific answer (无房产证明), the
 * applicant's masked name (when a name was checked) and masked ID number, one plain statement per
 * answer, who asked and for what, the issuing organisation and the area its data covers, the issue
 * date and the validity period, an optional seal image, and one QR code that opens the receipt check
 * page (`/r#<token>`, src/receipts/links.ts), where a phone verifies the receipts' signatures.
 *
 * The page never calls the QR code a seal or a signature, and sends no one to a command line. It
 * never carries the full ID number, nor the receipts' nonces: with the masked number (4 + 4
 * characters shown) the ten hidden ones are a region pair and a birth date, about 3.7 million
 * candidates, so a nonce printed beside them would let anyone holding the paper recover the whole
 * number by hashing them all. Every value is HTML-escaped; the QR SVG comes from the QR encoder.
 */
import {
  YES_NO, certificateTitle, dateText, statement, type Lang
} from './certificate-text.ts'

export interface CertificateAnswer {
  question: string
  questionTitle: string
  answer: 'yes' | 'no'
  asOf: string
  params: Record<string, string | number | boolean>
}

export interface CertificateData {
  lang: Lang
  verification: string
  maskedId: string
  /** the masked name, when the verification confirmed a name */
  maskedName: string | null
  /** RFC 3339 time of the answers' audit entries */
  issuedAt: string
  /** YYYY-MM-DD, China Standard Time */
  validUntil: string
  callerName: string
  purposeTitle: string
  caseId: string
  organisation: string
  jurisdiction: string
  /** a data: URI of the seal image, or null */
  seal: string | null
  /** the receipt check URL the QR code holds */
  checkUrl: string
  /** the QR code of checkUrl, an SVG document */
  qrSvg: string
  answers: CertificateAnswer[]
}

const LABELS: Record<string, Record<Lang, string>> = {
  number: { zh: '证明编号', en: 'Certificate no.' },
  intro: { zh: '兹证明：', en: 'This is to certify:' },
  name: { zh: '姓　　名', en: 'Name' },
  idNumber: { zh: '公民身份号码', en: 'Resident ID number' },
  question: { zh: '核验事项', en: 'Checked' },
  answer: { zh: '核验结果', en: 'Result' },
  asOf: { zh: '数据截至', en: 'Data as of' },
  requester: { zh: '查询单位', en: 'Requested by' },
  purpose: { zh: '办理事项', en: 'For' },
  caseId: { zh: '业务编号', en: 'Case no.' },
  issuedOn: { zh: '出具日期', en: 'Issued on' },
  validUntil: { zh: '有效期至', en: 'Valid until' },
  issuer: { zh: '出具单位', en: 'Issued by' },
  scan: { zh: '扫码核验真伪', en: 'Scan to check' },
  check: {
    zh: '用手机扫描右侧二维码，打开的核验页面显示“有效”，且页面上的姓名、公民身份号码、核验事项和结果与本证明一致，' +
      '即可确认本证明由本平台出具、内容未被改动。也可在浏览器中输入二维码下方的网址核验。',
    en: 'Scan the QR code with a phone: if the page it opens says “valid” and shows the same name, ID number, ' +
      'checks and results as this paper, the certificate was issued by this service and has not been altered. ' +
      'The address under the code can also be typed into a browser.'
  },
  note: {
    zh: '说明：本证明由系统比对有关部门的登记数据自动生成，只反映“数据截至”日期的登记情况；' +
      '仅用于上述办理事项，在有效期内有效。',
    en: 'Note: this certificate is produced by comparing the departments\' registers and reflects them as of the ' +
      'dates shown; it serves the purpose above only, within its validity period.'
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
}

/** The CST calendar date of an RFC 3339 instant, YYYY-MM-DD. */
export function cstDate (iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 10)
}

/** A short certificate number from the verification id: the first 12 hex digits, grouped. */
export function certificateNumber (verification: string): string {
  const hex = verification.replace(/-/g, '').toUpperCase()
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`
}

export function renderCertificate (d: CertificateData): string {
  const { lang } = d
  const L = (key: string): string => escapeHtml(LABELS[key]![lang])
  const e = escapeHtml
  const title = e(certificateTitle(lang, d.answers))
  const ctx = { lang, named: d.maskedName !== null, area: d.jurisdiction }
  const statements = d.answers.map((a) => `<p class="statement">${e(statement(ctx, a))}</p>`).join('\n  ')
  const rows = d.answers.map((a) => `<tr><td>${e(a.questionTitle)}</td>` +
    `<td class="result">${e(YES_NO[a.answer][lang])}</td><td>${e(dateText(lang, a.asOf))}</td></tr>`).join('\n      ')
  const person = [
    d.maskedName === null ? '' : `<tr><th scope="row">${L('name')}</th><td>${e(d.maskedName)}</td></tr>`,
    `<tr><th scope="row">${L('idNumber')}</th><td class="mono">${e(d.maskedId)}</td></tr>`
  ].join('')
  const seal = d.seal === null ? '' : `<img class="seal" src="${e(d.seal)}" alt="">`
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
  @page { size: A4; margin: 16mm 18mm; }
  * { box-sizing: border-box; }
  html, body { margin: 0; }
  body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, "WenQuanYi Micro Hei",
    "Noto Sans CJK SC", serif; color: #000; font-size: 11.5pt; line-height: 1.6; }
  main { width: 174mm; margin: 0 auto; }
  .head { display: flex; justify-content: space-between; font-size: 10pt; }
  h1 { text-align: center; font-size: 24pt; margin: 6mm 0 5mm; font-weight: bold; }
  html[lang="zh-CN"] h1 { letter-spacing: 0.3em; }
  .person { border-collapse: collapse; margin: 1mm 0 3mm 8mm; font-size: 12.5pt; }
  .person th { text-align: left; font-weight: normal; padding: 0.5mm 6mm 0.5mm 0; }
  .mono { font-family: "DejaVu Sans Mono", "Courier New", monospace; letter-spacing: 0.05em; }
  .statement { text-indent: 2em; margin: 1.5mm 0; font-size: 12.5pt; }
  .answers { width: 100%; border-collapse: collapse; margin: 4mm 0; }
  .answers th, .answers td { border: 1px solid #444; padding: 1.2mm 2.5mm; text-align: left; }
  .answers th { background: #eee; font-weight: normal; }
  .answers .result { text-align: center; font-weight: bold; width: 22mm; }
  .facts { display: grid; grid-template-columns: auto 1fr; column-gap: 5mm; margin: 3mm 0; }
  .facts dt { color: #222; }
  .facts dd { margin: 0; }
  .check { display: flex; gap: 6mm; align-items: flex-start; border-top: 1px solid #888; padding-top: 4mm;
    margin-top: 4mm; }
  .check .qr { margin: 0; width: 34mm; flex: none; text-align: center; }
  .check .qr svg { width: 34mm; height: 34mm; display: block; }
  .check .qr figcaption { font-size: 9pt; }
  .check p { margin: 0 0 2mm; font-size: 10.5pt; }
  .url { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; word-break: break-all; }
  .issuer { position: relative; text-align: right; margin: 6mm 4mm 0 0; min-height: 24mm; }
  .issuer .seal { position: absolute; right: 6mm; top: -8mm; width: 40mm; height: 40mm; opacity: 0.85; }
  .note { font-size: 9pt; color: #222; margin-top: 5mm; }
</style>
</head>
<body>
<main>
  <div class="head"><span>${e(d.organisation)}</span>` +
  `<span>${L('number')}：<span class="mono">${e(certificateNumber(d.verification))}</span></span></div>
  <h1>${title}</h1>
  <p>${L('intro')}</p>
  <table class="person">${person}</table>
  ${statements}
  <table class="answers">
    <thead><tr><th scope="col">${L('question')}</th><th scope="col">${L('answer')}</th>` +
    `<th scope="col">${L('asOf')}</th></tr></thead>
    <tbody>
      ${rows}
    </tbody>
  </table>
  <dl class="facts">
    <dt>${L('requester')}</dt><dd>${e(d.callerName)}</dd>
    <dt>${L('purpose')}</dt><dd>${e(d.purposeTitle)}</dd>
    <dt>${L('caseId')}</dt><dd>${e(d.caseId)}</dd>
    <dt>${L('issuedOn')}</dt><dd>${e(dateText(lang, cstDate(d.issuedAt)))}</dd>
    <dt>${L('validUntil')}</dt><dd>${e(dateText(lang, d.validUntil))}</dd>
  </dl>
  <div class="issuer">${seal}<div>${L('issuer')}：${e(d.organisation)}</div>` +
  `<div>${e(dateText(lang, cstDate(d.issuedAt)))}</div></div>
  <section class="check" aria-label="${L('scan')}">
    <div>
      <p>${L('check')}</p>
      <p class="url">${e(d.checkUrl)}</p>
    </div>
    <figure class="qr" role="img" aria-label="${L('scan')}">${d.qrSvg}<figcaption>${L('scan')}</figcaption></figure>
  </section>
  <p class="note">${L('note')}</p>
</main>
</body>
</html>
`
}
