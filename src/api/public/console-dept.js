/**
 * The department admin's view (an admin sees every department's): its connectors with their
 * freshness and load history, the reject reports, and an upload with a progress bar that ends
 * with the load record and the rejected rows.
 */
import { api, cst, field, h, problemText, say, status, table } from './console-dom.js'
import { t, titleOf } from './console-i18n.js'

export async function connectorsView () {
  const { connectors } = await api('GET', '/v1/connectors')
  const sections = []
  for (const c of connectors.filter((x) => x.active)) sections.push(await connectorSection(c))
  return h('section', {}, h('h1', { text: t('connectorsTitle') }),
    sections.length === 0 ? h('p', { text: t('noConnectors') }) : sections, await newFileConnector())
}

/**
 * Registers a file connector: its department, titles, the subject's column, the typed fields (JSON),
 * and optionally how many rows of one person a load keeps and how many days its data answers for.
 */
async function newFileConnector () {
  const { departments } = await api('GET', '/v1/departments').catch(() => ({ departments: [] }))
  const id = h('input', { id: 'nc-id', required: true })
  const dept = h('select', { id: 'nc-dept' }, departments.filter((d) => d.active !== false)
    .map((d) => h('option', { value: d.id, text: `${d.name} (${d.id})` })))
  const zh = h('input', { id: 'nc-zh', required: true, lang: 'zh-CN' })
  const en = h('input', { id: 'nc-en', lang: 'en' })
  const column = h('input', { id: 'nc-subject', required: true, value: '身份证号码' })
  const fields = h('textarea', { id: 'nc-fields', rows: 4, spellcheck: 'false', required: true,
    text: '[{"name": "area", "type": "number", "column": "建筑面积"}]' })
  const maxRecords = h('input', { id: 'nc-max-records', type: 'number', min: '1', max: '10000', placeholder: '1000' })
  const maxAge = h('input', { id: 'nc-max-age', type: 'number', min: '0', max: '36500' })
  const result = status('nc-status')
  const form = h('form', { 'aria-labelledby': 'nc-h' },
    h('h2', { id: 'nc-h', text: t('newConnector') }),
    h('div', { class: 'grid' }, field(t('connectorId'), id), field(t('department'), dept),
      field(t('titleZh'), zh), field(t('titleEn'), en), field(t('subjectColumn'), column)),
    field(t('fieldsJson'), fields, t('fieldsHint')),
    h('div', { class: 'grid' }, field(t('maxRecordsPerSubject'), maxRecords, t('maxRecordsHint')),
      field(t('maxAgeDays'), maxAge, t('maxAgeHint'))),
    h('button', { type: 'submit', text: t('create') }), result)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    let list
    try {
      list = JSON.parse(fields.value)
    } catch (err) {
      say(result, t('notJson') + err.message, 'failed')
      return
    }
    const body = {
      id: id.value, department: dept.value, title: zh.value, kind: 'file',
      titles: { zh: zh.value, ...(en.value === '' ? {} : { en: en.value }) },
      subject: { field: 'id_number', type: 'cn_resident_id', column: column.value },
      fields: list,
      ...(maxRecords.value === '' ? {} : { maxRecordsPerSubject: Number(maxRecords.value) }),
      ...(maxAge.value === '' ? {} : { maxAgeDays: Number(maxAge.value) })
    }
    try {
      await api('POST', '/v1/connectors', body)
      const again = await connectorsView()
      form.closest('section')?.replaceWith(again)
      say(again.querySelector('#nc-status'), t('created'), 'ok')
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  })
  return form
}

function todayCst () {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)
}

async function connectorSection (c) {
  const id = 'c-' + c.id.replace(/[^a-z0-9]/g, '-')
  const title = titleOf(c.titles, c.title || c.id)
  const asOf = c.health?.asOf ?? c.activeSnapshot?.asOf ?? null
  const stale = c.health?.stale === true
  const { snapshots } = await api('GET', `/v1/connectors/${encodeURIComponent(c.id)}/snapshots`)
  const history = h('div', {}, historyTable(c, snapshots))
  return h('section', { class: 'connector', 'aria-labelledby': id + '-h' },
    h('h2', { id: id + '-h', text: `${title} (${c.id})` }),
    h('p', {}, `${t('department')}: ${c.department} · ${t('freshness')}: `,
      asOf === null ? t('noSnapshot') : `${asOf} (${stale ? t('stale') : t('fresh')})`),
    c.kind === 'file' ? uploadForm(c, id, history) : null,
    c.kind === 'pull' ? syncForm(c, id, history) : null,
    history)
}

/** "Sync now" for a pull connector: a new snapshot, or the active one unchanged, or the error in words. */
function syncForm (c, id, history) {
  const result = status(id + '-sync')
  const button = h('button', { type: 'button', text: t('syncNow'), 'aria-label': `${t('syncNow')} ${c.id}` })
  button.addEventListener('click', async () => {
    button.disabled = true
    say(result, t('syncing'), 'pending')
    try {
      const { unchanged, snapshot: s } = await api('POST', `/v1/connectors/${encodeURIComponent(c.id)}/sync`)
      say(result, unchanged === true
        ? t('syncUnchanged', { id: s.id, asOf: s.asOf })
        : t('syncNew', { id: s.id, rows: s.rows, rejected: s.rejectedCount }), 'ok')
      const { snapshots } = await api('GET', `/v1/connectors/${encodeURIComponent(c.id)}/snapshots`)
      history.replaceChildren(historyTable(c, snapshots))
    } catch (err) {
      say(result, t('syncFailed') + problemText(err), 'failed')
    } finally {
      button.disabled = false
    }
  })
  return h('div', { class: 'sync' }, h('p', { text: t('syncHint') }), button, result)
}

function historyTable (c, snapshots) {
  return table(t('history'), ['#', t('started'), t('state'), t('asOf'), t('rows'), t('rejected'), t('rejectReport')],
    snapshots.slice(0, 20).map((s) => [String(s.id), cst(s.startedAt), s.status, s.asOf, String(s.rows),
      String(s.rejectedCount), s.rejectedCount > 0 ? rejectLink(c, s.id) : '']))
}

function rejectLink (c, snapshot) {
  return h('a', { href: `/v1/connectors/${encodeURIComponent(c.id)}/snapshots/${snapshot}/rejects`,
    download: `${c.id}-${snapshot}-rejects.csv`, text: t('rejectReport') })
}

/** PUT …/snapshot with XMLHttpRequest: fetch() reports no upload progress. */
function send (url, file, contentType, csrf, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', url)
    xhr.setRequestHeader('content-type', contentType)
    xhr.setRequestHeader('x-csrf-token', csrf)
    xhr.setRequestHeader('accept', 'application/json')
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total) })
    xhr.upload.addEventListener('load', () => onProgress(1))
    xhr.addEventListener('load', () => {
      let body = null
      try { body = JSON.parse(xhr.responseText) } catch {}
      resolve({ status: xhr.status, body })
    })
    xhr.addEventListener('error', () => reject(new Error('network error')))
    xhr.send(file)
  })
}

function uploadForm (c, id, history) {
  const file = h('input', { id: id + '-file', type: 'file', accept: '.csv,.ndjson,.jsonl,text/csv', required: true })
  const asOf = h('input', { id: id + '-asof', type: 'date', value: todayCst(), max: todayCst(), required: true })
  const encoding = h('select', { id: id + '-enc' }, h('option', { value: 'utf-8', text: 'UTF-8' }),
    h('option', { value: 'gb18030', text: 'GB18030 / GBK' }))
  const progress = h('progress', { id: id + '-progress', max: '100', value: '0', 'aria-label': t('progress') })
  const line = status(id + '-status')
  const record = h('div', { class: 'record' })
  const form = h('form', { class: 'upload', 'aria-labelledby': id + '-up' },
    h('h3', { id: id + '-up', text: t('upload') }),
    h('div', { class: 'grid' }, field(t('file'), file), field(t('asOf'), asOf), field(t('encoding'), encoding)),
    h('button', { type: 'submit', text: t('uploadButton') }), progress, line, record)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const chosen = file.files[0]
    if (chosen === undefined) return
    const ndjson = /\.(nd)?jsonl?$/i.test(chosen.name) || chosen.name.endsWith('.ndjson')
    const type = (ndjson ? 'application/x-ndjson' : 'text/csv') + '; charset=' + encoding.value
    const session = await api('GET', '/console/session')
    record.replaceChildren()
    progress.value = 0
    const url = `/v1/connectors/${encodeURIComponent(c.id)}/snapshot?asOf=${asOf.value}`
    try {
      const res = await send(url, chosen, type, session.csrf, (f) => {
        progress.value = Math.round(f * 100)
        say(line, f < 1 ? t('uploaded', { pct: Math.round(f * 100) }) : t('loadingRows'), 'pending')
      })
      const snap = res.body?.snapshot
      if (res.status === 201 && snap) {
        say(line, t('loadDone', { rows: snap.rows, subjects: snap.subjects, rejected: snap.rejectedCount }), 'ok')
        record.replaceChildren(loadRecord(c, snap, snap.rejected))
      } else {
        say(line, `${t('loadFailed')}: ${res.body?.detail ?? res.status} (${res.body?.code ?? res.status})`, 'failed')
        if (res.body?.snapshot !== undefined) {
          record.replaceChildren(loadRecord(c, { id: res.body.snapshot, ...res.body }, res.body.rejected ?? []))
        }
      }
      const { snapshots } = await api('GET', `/v1/connectors/${encodeURIComponent(c.id)}/snapshots`)
      history.replaceChildren(historyTable(c, snapshots))
    } catch (err) {
      say(line, problemText(err), 'failed')
    }
  })
  return form
}

function loadRecord (c, snap, rejected) {
  const facts = [[t('rows'), snap.rows], [t('rejected'), snap.rejectedCount],
    [t('ignoredColumns'), (snap.ignoredColumns ?? []).join(', ')],
    ...Object.entries(snap.rejectedByCode ?? {}).map(([code, n]) => [code, n])]
    .filter(([, v]) => v !== undefined)
  return h('div', {},
    table(t('loadRecord') + ' #' + snap.id, [t('field'), t('value')], facts.map(([k, v]) => [k, String(v)])),
    rejected.length === 0
      ? null
      : table(t('rejects'), [t('line'), t('field'), t('code'), t('detail')],
          rejected.slice(0, 200).map((r) => [String(r.line), r.field, r.code, r.reason ?? ''])),
    snap.rejectedCount > 0 ? h('p', {}, rejectLink(c, snap.id)) : null)
}
