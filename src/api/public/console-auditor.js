/**
 * The auditor's views: the log with every filter of /v1/audit/entries (newest or oldest first), one
 * entry verified in the browser against the signed checkpoint, the subject search with a reason,
 * and the alerts with their acknowledgement.
 */
import { api, cst, field, h, problemText, say, status, table } from './console-dom.js'
import { t, titleOf } from './console-i18n.js'
import { verifyEntry } from '/assets/verify.js'

const FILTERS = ['caller', 'question', 'purpose', 'caseId', 'kind']

/** The titles of questions and purposes, in the reader's language, by id (loaded once). */
let names = null
async function titles () {
  if (names === null) {
    const [q, p] = await Promise.all([api('GET', '/v1/questions').catch(() => ({ questions: [] })),
      api('GET', '/v1/purposes').catch(() => ({ purposes: [] }))])
    names = {
      question: new Map(q.questions.map((x) => [x.id, titleOf(x.titles, x.title || x.id)])),
      purpose: new Map(p.purposes.map((x) => [x.id, titleOf(x.titles, x.id)]))
    }
  }
  return names
}

/** A title with its id beneath (auditors filter by ids), or the id alone when it has no title. */
function named (kind, id) {
  if (id === null || id === undefined) return ''
  const title = names?.[kind].get(id)
  return title === undefined || title === id ? id : h('span', {}, title, h('br'), h('code', { class: 'id', text: id }))
}

/** A Beijing wall-clock time from a datetime-local input, as an RFC 3339 instant. */
function instantOf (local) {
  return local === '' ? undefined : new Date(local + ':00+08:00').toISOString()
}

function filtersFromHash (rest) {
  return new URLSearchParams(rest.join('/'))
}

export async function logView (rest) {
  const given = filtersFromHash(rest)
  await titles()
  const controls = {}
  for (const f of FILTERS) controls[f] = h('input', { id: 'f-' + f, name: f, value: given.get(f) ?? '' })
  controls.answer = h('select', { id: 'f-answer', name: 'answer' },
    h('option', { value: '', text: t('any') }), h('option', { value: 'yes', text: t('yes') }),
    h('option', { value: 'no', text: t('no') }))
  controls.answer.value = given.get('answer') ?? ''
  controls.from = h('input', { id: 'f-from', name: 'from', type: 'datetime-local', value: given.get('from') ?? '' })
  controls.to = h('input', { id: 'f-to', name: 'to', type: 'datetime-local', value: given.get('to') ?? '' })
  controls.order = h('select', { id: 'f-order', name: 'order' },
    h('option', { value: 'desc', text: t('newestFirst') }), h('option', { value: 'asc', text: t('oldestFirst') }))
  controls.order.value = given.get('order') ?? 'desc'

  const form = h('form', { class: 'filters', 'aria-labelledby': 'filters-h' },
    h('h2', { id: 'filters-h', text: t('filters') }),
    h('div', { class: 'grid' },
      ...FILTERS.map((f) => field(t(f), controls[f])),
      field(t('answer'), controls.answer), field(t('from'), controls.from), field(t('to'), controls.to),
      field(t('order'), controls.order)),
    h('button', { type: 'submit', text: t('apply') }))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const q = new URLSearchParams()
    for (const [k, c] of Object.entries(controls)) if (c.value !== '') q.set(k, c.value)
    location.hash = '#/log/' + q.toString()
  })

  const query = new URLSearchParams({ limit: '50', order: given.get('order') ?? 'desc' })
  for (const f of [...FILTERS, 'answer']) if (given.get(f)) query.set(f, given.get(f))
  for (const f of ['from', 'to']) if (given.get(f)) query.set(f, instantOf(given.get(f)))
  const exportQuery = new URLSearchParams()
  for (const f of ['from', 'to']) if (query.get(f)) exportQuery.set(f, query.get(f))

  const body = h('tbody')
  const more = h('button', { type: 'button', text: t('more'), hidden: true })
  const result = status('log-status')
  let next = null
  const load = async () => {
    if (next !== null) query.set('cursor', next)
    try {
      const page = await api('GET', '/v1/audit/entries?' + query)
      for (const e of page.entries) body.append(entryRow(e))
      next = page.next
      more.hidden = next === null
      if (body.childElementCount === 0) say(result, t('noEntries'))
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  }
  more.addEventListener('click', load)
  await load()
  const exports = h('p', { class: 'exports' }, t('export') + ': ',
    h('a', { href: '/v1/audit/export?' + new URLSearchParams({ ...Object.fromEntries(exportQuery), format: 'csv' }),
      text: t('exportCsv') }), ' · ',
    h('a', { href: '/v1/audit/export?' + new URLSearchParams({ ...Object.fromEntries(exportQuery), format: 'jsonl' }),
      text: t('exportJsonl') }))
  return h('section', {}, h('h1', { text: t('logTitle') }), form, exports,
    h('table', { class: 'log' }, h('caption', { text: t('entries') }),
      h('thead', {}, h('tr', {}, [t('index'), t('time'), t('kind'), t('caller'), t('question'), t('purpose'),
        t('caseId'), t('answer')].map((c) => h('th', { scope: 'col', text: c })))), body),
    result, more)
}

function entryRow (e) {
  return h('tr', {},
    h('td', {}, h('a', { href: '#/entry/' + e.index, text: '#' + e.index })),
    h('td', { text: cst(e.at) }), h('td', { text: e.kind + (e.code ? ` (${e.code})` : '') }),
    h('td', { text: e.caller ?? e.actor.sub }), h('td', {}, named('question', e.question)),
    h('td', {}, named('purpose', e.purpose)),
    h('td', { text: e.caseId ?? '' }), h('td', { text: e.answer === null ? '' : t(e.answer) }))
}

/** Fetches what proves an entry and checks it with WebCrypto; resolves to verifyEntry's result. */
export async function proveEntry (index) {
  const [stored, checkpoint, key] = await Promise.all([
    api('GET', '/v1/audit/entries/' + index), api('GET', '/v1/audit/checkpoint'),
    api('GET', '/v1/audit/checkpoint-key')])
  if (index >= checkpoint.size) return { ok: false, pending: true, reason: 'no checkpoint covers it yet' }
  const proof = await api('GET', `/v1/audit/proofs/inclusion?index=${index}&size=${checkpoint.size}`)
  const verdict = await verifyEntry({ index, leaf: stored.leaf, proof: proof.proof }, checkpoint.note,
    key.verifierKey, { origin: checkpoint.origin })
  return { ...verdict, stored, size: checkpoint.size }
}

export async function entryView ([index]) {
  const n = Number(index)
  const verdict = status('verdict')
  const details = h('div')
  const section = h('section', {}, h('h1', { text: t('entryTitle') + n }),
    h('p', {}, h('a', { href: '#/log', text: t('back') })), verdict, details)
  say(verdict, t('verifying'), 'pending')
  const check = async (tries) => {
    let result
    try {
      result = await proveEntry(n)
    } catch (err) {
      say(verdict, problemText(err), 'failed')
      return
    }
    if (result.pending) {
      say(verdict, tries > 0 ? t('waitCheckpoint') : t('noCheckpoint'), 'pending')
      if (tries > 0) setTimeout(() => { check(tries - 1) }, 2000)
      return
    }
    // What is shown is what was verified: the entry's own canonical bytes, never the list's copy.
    const shown = result.ok ? result.entry : result.stored.entry
    details.replaceChildren(table(t('entryTitle') + n, [t('field'), t('value')],
      Object.entries(shown).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)])))
    if (result.ok) say(verdict, '✓ ' + t('verifiedEntry', { size: result.size }), 'ok')
    else say(verdict, '✗ ' + t('failedEntry', { reason: result.reason }), 'failed')
  }
  await check(8)
  return section
}

export async function searchView () {
  await titles()
  const idNumber = h('input', { id: 's-id', name: 'idNumber', autocomplete: 'off', required: true })
  const reason = h('input', { id: 's-reason', name: 'reason', required: true, minlength: '5', maxlength: '500' })
  const result = status('search-status')
  const out = h('div')
  const form = h('form', { 'aria-labelledby': 'search-h' },
    field(t('idNumber'), idNumber), field(t('reason'), reason, t('reasonHint')),
    h('button', { type: 'submit', text: t('search') }))
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      const page = await api('POST', '/v1/audit/subject-search', { idNumber: idNumber.value, reason: reason.value })
      idNumber.value = ''
      say(result, t('searchLogged'), 'ok')
      out.replaceChildren(page.entries.length === 0
        ? h('p', { text: t('noEntries') })
        : h('table', { class: 'log' }, h('caption', { text: t('entries') }),
            h('thead', {}, h('tr', {}, [t('index'), t('time'), t('kind'), t('caller'), t('question'), t('purpose'),
              t('caseId'), t('answer')].map((c) => h('th', { scope: 'col', text: c })))),
            h('tbody', {}, page.entries.map(entryRow))))
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  })
  return h('section', {}, h('h1', { id: 'search-h', text: t('searchTitle') }), form, result, out)
}

export async function alertsView () {
  const page = await api('GET', '/v1/audit/alerts?limit=200')
  const result = status('alerts-status')
  const rows = page.alerts.slice().reverse().map((a) => {
    const state = h('span', {}, a.acknowledged === null
      ? t('open')
      : t('acknowledged', { by: a.acknowledged.by, at: cst(a.acknowledged.at) }))
    const button = a.acknowledged === null
      ? h('button', { type: 'button', 'aria-label': t('acknowledgeLabel', { id: a.id }), text: t('acknowledge') })
      : null
    button?.addEventListener('click', async () => {
      try {
        const updated = await api('POST', `/v1/audit/alerts/${a.id}/acknowledge`)
        state.textContent = t('acknowledged', { by: updated.acknowledged.by, at: cst(updated.acknowledged.at) })
        button.remove()
        say(result, t('acknowledged', { by: updated.acknowledged.by, at: cst(updated.acknowledged.at) }), 'ok')
      } catch (err) {
        say(result, problemText(err), 'failed')
      }
    })
    const day = typeof a.detail.day === 'string' ? a.detail.day : a.at.slice(0, 10)
    const behind = new URLSearchParams({ ...(a.client ? { caller: a.client } : {}), from: day + 'T00:00' })
    return [String(a.id), cst(a.at), a.kind + (a.suspended ? ` (${t('suspended')})` : ''), a.client ?? '',
      Object.entries(a.detail).map(([k, v]) => `${k}: ${v}`).join(', '),
      h('a', { href: '#/log/' + behind, text: t('entriesBehind') }), h('span', {}, state, ' ', button)]
  })
  return h('section', {}, h('h1', { text: t('alertsTitle') }), result,
    rows.length === 0
      ? h('p', { text: t('noAlerts') })
      : table(t('alertsTitle'), ['#', t('time'), t('alertKind'), t('client'), t('detail'), t('entriesBehind'),
          t('state')], rows))
}

/** A Beijing date (YYYY-MM-DD) as the instant its day starts. */
function dayStart (day) {
  return new Date(day + 'T00:00:00+08:00').toISOString()
}

/** A Beijing date `n` days from today. */
function beijingDay (n = 0) {
  return new Date(Date.now() + 8 * 3600_000 + n * 86_400_000).toISOString().slice(0, 10)
}

const SVG = 'http://www.w3.org/2000/svg'
function s (tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  for (const c of children) el.append(c instanceof Node ? c : String(c))
  return el
}

/** A bar chart of answers a day, yes stacked under no: inline SVG, with a title and description. */
function dayChart (days) {
  const max = Math.max(1, ...days.map((d) => d.count))
  const width = 640
  const height = 200
  const band = Math.min(48, Math.max(4, Math.floor((width - 40) / Math.max(1, days.length))))
  const bar = Math.max(2, band - 2)
  const y = (n) => Math.round((height - 30) * n / max)
  const bars = days.map((d, i) => {
    const x = 30 + i * band
    const yes = y(d.yes)
    const no = y(d.no)
    return s('g', {},
      s('title', {}, `${d.key}: ${d.count} (${t('yes')} ${d.yes} / ${t('no')} ${d.no})`),
      s('rect', { class: 'bar-yes', x, y: height - 20 - yes, width: bar, height: yes }),
      s('rect', { class: 'bar-no', x, y: height - 20 - yes - no, width: bar, height: no }))
  })
  const labels = days.length === 0
    ? []
    : [s('text', { x: 30, y: height - 5, class: 'axis' }, days[0].key),
        s('text', { x: width - 10, y: height - 5, class: 'axis', 'text-anchor': 'end' }, days.at(-1).key)]
  return s('svg', {
    viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart', 'aria-labelledby': 'chart-t chart-d'
  },
  s('title', { id: 'chart-t' }, t('chartTitle')),
  s('desc', { id: 'chart-d' }, t('chartDesc', { n: days.length, max })),
  s('text', { x: 0, y: 12, class: 'axis' }, String(max)),
  s('line', { x1: 28, y1: height - 20, x2: width, y2: height - 20, class: 'axis-line' }),
  ...bars, ...labels)
}

function countTable (caption, head, rows, name) {
  return table(caption, [head, t('count'), t('yes'), t('no')],
    rows.map((r) => [name(r.key), String(r.count), String(r.yes), String(r.no)]))
}

/** Answers counted by day, caller, purpose and question (GET /v1/audit/summary). */
export async function summaryView (rest) {
  const given = filtersFromHash(rest)
  await titles()
  const fromDay = given.get('from') ?? beijingDay(-29)
  const toDay = given.get('to') ?? beijingDay(1)
  const from = h('input', { id: 's-from', name: 'from', type: 'date', value: fromDay })
  const to = h('input', { id: 's-to', name: 'to', type: 'date', value: toDay })
  const form = h('form', { class: 'filters', 'aria-labelledby': 'summary-f' },
    h('h2', { id: 'summary-f', text: t('filters') }),
    h('div', { class: 'grid' }, field(t('fromDay'), from), field(t('toDay'), to)),
    h('button', { type: 'submit', text: t('apply') }))
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    location.hash = '#/summary/' + new URLSearchParams({ from: from.value, to: to.value })
  })
  const section = h('section', {}, h('h1', { text: t('summaryTitle') }), form)
  const result = status('summary-status')
  section.append(result)
  let sum
  try {
    sum = await api('GET', '/v1/audit/summary?' + new URLSearchParams({ from: dayStart(fromDay), to: dayStart(toDay) }))
  } catch (err) {
    say(result, problemText(err), 'failed')
    return section
  }
  say(result, t('summaryIntro', { from: fromDay, to: toDay, n: sum.total }))
  const plain = (k) => k
  section.append(h('figure', {}, dayChart(sum.days)),
    countTable(t('byDay'), t('day'), sum.days, plain),
    countTable(t('byCaller'), t('caller'), sum.callers, plain),
    countTable(t('byPurpose'), t('purpose'), sum.purposes, (k) => named('purpose', k)),
    countTable(t('byQuestion'), t('question'), sum.questions, (k) => named('question', k)))
  return section
}
