/**
 * The console's small toolkit: building elements, calling the API with the session, and the
 * strings of both languages (console-i18n.js). No framework: each view is a function that returns
 * elements built from the API's answers.
 */
import { t } from './console-i18n.js'

/** An element: attributes (on* are listeners, `text` the text content), then children (strings or nodes). */
export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'text') el.textContent = v
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : String(c))
  }
  return el
}

let csrf = null
export function setCsrf (token) { csrf = token }

export class ApiError extends Error {
  constructor (status, problem) {
    super(problem?.detail ?? `HTTP ${status}`)
    this.status = status
    this.code = problem?.code ?? 'HTTP_' + status
    this.problem = problem
  }
}

/** Called when the session has ended (the app shows the sign-in). */
let onSessionEnded = () => {}
export function whenSessionEnds (fn) { onSessionEnded = fn }

/** A call of the API as the signed-in person; JSON in and out. Throws ApiError with the problem's code. */
export async function api (method, path, body) {
  const headers = { accept: 'application/json' }
  if (method !== 'GET' && csrf !== null) headers['x-csrf-token'] = csrf
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin'
  })
  if (res.status === 204) return null
  const data = await res.json().catch(() => null)
  if (!res.ok) {
    if (data?.code === 'SESSION_EXPIRED') onSessionEnded()
    throw new ApiError(res.status, data)
  }
  return data
}

/** A message for a failed call, in the reader's language, with the stable code. */
export function problemText (err) {
  if (err instanceof ApiError) return `${t('error')}: ${err.message} (${err.code})`
  return `${t('error')}: ${err?.message ?? err}`
}

/** An instant as Beijing time, YYYY-MM-DD HH:MM:SS. */
export function cst (iso) {
  const d = new Date(Date.parse(iso) + 8 * 3600_000)
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 19).replace('T', ' ')
}

/** A table with a caption and column headers; rows are arrays of cells (strings or nodes). */
export function table (caption, columns, rows) {
  return h('table', {},
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', text: c })))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))))
}

/** A labelled form control: label text, then the control (its id links the two). */
export function field (label, control, hint) {
  const hintEl = hint === undefined ? null : h('span', { class: 'hint', id: control.id + '-hint', text: hint })
  if (hintEl !== null) control.setAttribute('aria-describedby', hintEl.id)
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control, hintEl)
}

/** A live status line: screen readers hear what changes in it. */
export function status (id) {
  return h('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' })
}

/** Sets a status line's text and its kind (ok, failed, pending). */
export function say (el, text, kind = '') {
  el.textContent = text
  el.className = 'status ' + kind
}
