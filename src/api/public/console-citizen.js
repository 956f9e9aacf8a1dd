/**
 * The citizen's view: who checked me, newest first, in words (the titles of the question and the
 * purpose, the caller's name), each entry verified in the browser against the signed checkpoint
 * that came with the page (its inclusion proof, and the checkpoint's Ed25519 signature).
 */
import { api, cst, h, say, status } from './console-dom.js'
import { t, titleOf } from './console-i18n.js'
import { verifyEntry } from '/assets/verify.js'

/** Every page of the access log (a person's history is short), with the checkpoint of each page. */
async function accessLog () {
  const pages = []
  let cursor = null
  for (let i = 0; i < 20; i++) {
    const page = await api('GET', '/v1/me/access-log?limit=200' + (cursor === null ? '' : '&cursor=' + cursor))
    pages.push(page)
    cursor = page.next
    if (cursor === null) break
  }
  return pages
}

export async function meView () {
  const [pages, key] = await Promise.all([accessLog(), api('GET', '/v1/audit/checkpoint-key')])
  const summary = status('me-status')
  const items = []
  let failed = 0
  for (const page of pages) {
    for (const e of page.entries) {
      const verdict = page.checkpoint === null || e.proof === null
        ? { ok: false, reason: 'no checkpoint' }
        : await verifyEntry(e, page.checkpoint.note, key.verifierKey,
            { origin: page.checkpoint.origin, subject: page.subject })
      if (!verdict.ok) failed++
      items.push({ e, verdict })
    }
  }
  items.sort((a, b) => b.e.index - a.e.index)
  if (items.length > 0) {
    say(summary, failed === 0 ? '✓ ' + t('allVerified', { n: items.length }) : '✗ ' + t('someFailed', { n: failed }),
      failed === 0 ? 'ok' : 'failed')
  }
  return h('section', {}, h('h1', { text: t('meTitle') }), h('p', { text: t('meIntro') }), summary,
    items.length === 0
      ? h('p', { text: t('meNone') })
      : h('ol', { class: 'access', reversed: true }, items.map(({ e, verdict }) => accessItem(e, verdict))))
}

function accessItem (e, verdict) {
  const who = e.callerName ?? titleOf(e.callerTitles, e.caller)
  const question = titleOf(e.questionTitles ?? e.questionTitle, e.question ?? '')
  const purpose = titleOf(e.purposeTitles ?? e.purposeTitle, e.purpose ?? '')
  const outcome = e.kind === 'refusal' ? t('refused') : (e.answer === null ? '' : t(e.answer))
  return h('li', { class: verdict.ok ? 'ok' : 'failed' },
    h('p', { class: 'when', text: cst(e.at) }),
    h('p', { text: t('checkedBy', { who, question, purpose }) + (outcome === '' ? '' : `：${outcome}`) }),
    e.caseId === null ? null : h('p', { class: 'case', text: `${t('caseId')}: ${e.caseId}` }),
    h('p', { class: 'verdict ' + (verdict.ok ? 'ok' : 'failed'),
      text: verdict.ok ? '✓ ' + t('verifiedOne') : `✗ ${t('failedOne')} (${verdict.reason})` }))
}
