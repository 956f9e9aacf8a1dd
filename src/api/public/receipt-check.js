/**
 * The receipt check page (/r#<token> or /r#<receipt>, design §14.4). Reads the fragment, which the
 * browser never sends; for a certificate's short token fetches its receipts (GET
 * /v1/receipt-links/:token), for a receipt takes it as it is; verifies every receipt's signature in
 * the browser (verify.js, WebCrypto Ed25519) against /.well-known/jwks.json, and says in Chinese,
 * then in English, whether the certificate is valid and what it states. Only the receipts are
 * signed: the masked name and ID and the titles are shown as the service states them.
 */
import { receiptKeys, verifyReceipt } from './verify.js'

const TOKEN = /^[A-Za-z0-9_-]{22}$/

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  for (const c of children) node.append(c)
  return node
}

/** An instant (seconds) as China Standard Time, 2026年12月6日 14:03 or 2026-12-06 14:03. */
function cstTime (seconds, lang) {
  const t = new Date(seconds * 1000 + 8 * 3600_000).toISOString()
  const [y, m, d] = t.slice(0, 10).split('-')
  return lang === 'zh' ? `${y}年${Number(m)}月${Number(d)}日 ${t.slice(11, 16)}` : `${t.slice(0, 10)} ${t.slice(11, 16)}`
}

function cstDateText (date, lang) {
  const [y, m, d] = date.split('-')
  return lang === 'zh' ? `${y}年${Number(m)}月${Number(d)}日` : date
}

const WORDS = {
  zh: {
    valid: '有效',
    validText: '本证明由本平台出具，签名核验通过，内容未被改动。',
    expired: '已过有效期',
    expiredText: '签名核验通过，但本证明已超过有效期。',
    invalid: '无效',
    invalidText: '无法确认本证明由本平台出具，或内容已被改动。请勿采信，可联系出具单位。',
    reasons: {
      missing: '链接中没有可核验的内容。',
      notFound: '找不到该证明。',
      unreachable: '暂时无法连接核验服务，请稍后再试。',
      signature: '签名核验未通过。',
      mixed: '证明中的各项结果不属于同一次核验。'
    },
    compare: '请核对：下面的姓名、公民身份号码、核验事项和结果应与纸质证明完全一致。',
    name: '姓名',
    idNumber: '公民身份号码',
    question: '核验事项',
    answer: '核验结果',
    asOf: '数据截至',
    yes: '是',
    no: '否',
    purpose: '办理事项',
    caseId: '业务编号',
    requester: '查询单位',
    at: '核验时间',
    validUntil: '有效期至',
    issuer: '出具单位',
    number: '审计记录序号',
    heading: '证明内容'
  },
  en: {
    valid: 'Valid',
    validText: 'Issued by this service; the signatures verify and nothing has been changed.',
    expired: 'Expired',
    expiredText: 'The signatures verify, but the certificate is past its validity period.',
    invalid: 'Not valid',
    invalidText: 'This could not be confirmed as issued by this service, or it was changed. Do not rely on it.',
    reasons: {
      missing: 'The link holds nothing to check.',
      notFound: 'No such certificate.',
      unreachable: 'The service cannot be reached; try again later.',
      signature: 'A signature does not verify.',
      mixed: 'The results do not belong to one verification.'
    },
    compare: 'Compare: the name, ID number, checks and results below must be exactly those on the paper.',
    name: 'Name',
    idNumber: 'ID number',
    question: 'Checked',
    answer: 'Result',
    asOf: 'Data as of',
    yes: 'Yes',
    no: 'No',
    purpose: 'For',
    caseId: 'Case no.',
    requester: 'Requested by',
    at: 'Checked at',
    validUntil: 'Valid until',
    issuer: 'Issued by',
    number: 'Audit record no.',
    heading: 'What it states'
  }
}

function verdict (state, reason) {
  const box = document.getElementById('verdict')
  box.className = 'verdict ' + state
  box.dataset.result = state
  box.replaceChildren(...['zh', 'en'].map((lang) => {
    const w = WORDS[lang]
    const word = w[state]
    const text = w[state + 'Text']
    return el('div', { lang: lang === 'zh' ? 'zh-CN' : 'en' },
      el('p', { class: 'big' }, ({ invalid: '✘ ', expired: '⚠ ', valid: '✔ ' }[state]) + word),
      el('p', {}, text + (reason === undefined ? '' : ' ' + w.reasons[reason])))
  }))
}

function details (lang, claims, info) {
  const w = WORDS[lang]
  const section = document.getElementById(lang)
  const title = (map, id) => info?.titles?.[map]?.[id]?.[lang] ?? id
  const first = claims[0]
  const facts = el('dl')
  const fact = (label, value, cls) =>
    facts.append(el('dt', {}, label), el('dd', cls === undefined ? {} : { class: cls }, value))
  if (info?.subject?.maskedName) fact(w.name, info.subject.maskedName)
  if (info?.subject?.maskedId) fact(w.idNumber, info.subject.maskedId, 'mono')
  const rows = claims.map((c) => el('tr', {},
    el('td', {}, title('questions', c.q)), el('td', {}, c.a === 'yes' ? w.yes : w.no),
    el('td', {}, cstDateText(c.asOf, lang))))
  const table = el('table', {},
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, w.question), el('th', { scope: 'col' }, w.answer),
      el('th', { scope: 'col' }, w.asOf))),
    el('tbody', {}, ...rows))
  const more = el('dl')
  const add = (label, value) => more.append(el('dt', {}, label), el('dd', {}, value))
  add(w.purpose, title('purposes', first.pur))
  add(w.caseId, first.case)
  add(w.requester, info?.callerName ?? first.cli)
  add(w.at, cstTime(first.iat, lang))
  if (info?.validUntil) add(w.validUntil, cstDateText(info.validUntil, lang))
  if (info?.organisation) add(w.issuer, info.organisation[lang])
  add(w.number, claims.map((c) => String(c.idx)).join(', '))
  section.replaceChildren(el('h2', {}, w.heading), el('p', { class: 'hint' }, w.compare), facts, table, more)
}

async function main () {
  const fragment = decodeURIComponent(location.hash.slice(1)).trim()
  if (fragment === '') return verdict('invalid', 'missing')
  let receipts
  let info = null
  let jwks
  try {
    jwks = await (await fetch('/.well-known/jwks.json')).json()
    if (TOKEN.test(fragment)) {
      const res = await fetch('/v1/receipt-links/' + fragment)
      if (res.status === 404 || res.status === 400) return verdict('invalid', 'notFound')
      if (!res.ok) return verdict('invalid', 'unreachable')
      info = await res.json()
      receipts = info.receipts
    } else {
      receipts = [fragment]
    }
  } catch {
    return verdict('invalid', 'unreachable')
  }
  const keys = await receiptKeys(jwks)
  const checked = await Promise.all(receipts.map((r) => verifyReceipt(r, keys)))
  if (checked.length === 0 || checked.some((c) => !c.ok)) return verdict('invalid', 'signature')
  const claims = checked.map((c) => c.claims)
  if (claims.some((c) => c.vid !== claims[0].vid)) return verdict('invalid', 'mixed')
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
  verdict(info?.validUntil !== undefined && info.validUntil < today ? 'expired' : 'valid')
  details('zh', claims, info)
  details('en', claims, info)
}

main()
