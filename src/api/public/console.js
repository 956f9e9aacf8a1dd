/**
 * The console (design §14.4): asks who is signed in, draws the header and the navigation of that
 * role, and shows the view the address's fragment names (#/log, #/entry/12, #/me …). Every view
 * reads and changes data through the API's own routes, as the signed-in person.
 */
import { api, h, problemText, setCsrf, whenSessionEnds } from './console-dom.js'
import { lang, t } from './console-i18n.js'
import { alertsView, entryView, logView, searchView, summaryView } from './console-auditor.js'
import { connectorsView } from './console-dept.js'
import { clientsView, departmentsView, purposesView, questionsView } from './console-admin.js'
import { meView } from './console-citizen.js'

const VIEWS = {
  auditor: [['log', 'navLog', logView], ['search', 'navSearch', searchView], ['alerts', 'navAlerts', alertsView],
    ['summary', 'navSummary', summaryView], ['entry', null, entryView]],
  dept_admin: [['connectors', 'navConnectors', connectorsView]],
  admin: [['clients', 'navClients', clientsView], ['purposes', 'navPurposes', purposesView],
    ['questions', 'navQuestions', questionsView], ['departments', 'navDepartments', departmentsView],
    ['connectors', 'navConnectors', connectorsView]],
  subject: [['me', 'navMe', meView]]
}

const main = document.getElementById('main')
const top = document.getElementById('top')
let session = null

function langLink () {
  const other = lang === 'en' ? 'zh' : 'en'
  const href = (other === 'en' ? '?lang=en' : '?lang=zh') + location.hash
  return h('a', { href, lang: other === 'en' ? 'en' : 'zh-CN', class: 'lang', 'aria-label': t('switchLangLabel') },
    t('switchLang'))
}

function drawHeader () {
  top.replaceChildren(h('div', { class: 'bar' },
    h('span', { class: 'brand', text: t('brand') }),
    session?.signedIn
      ? h('nav', { 'aria-label': t('nav') }, h('ul', {}, VIEWS[session.role].filter((v) => v[1] !== null)
          .map(([id, label]) => h('li', {}, h('a', { href: '#/' + id, 'data-view': id, text: t(label) })))))
      : null,
    h('span', { class: 'who' },
      session?.signedIn ? t('signedInAs') + t('role_' + session.role) + (session.dept ? ` · ${session.dept}` : '') : '',
      langLink(),
      session?.signedIn ? h('button', { type: 'button', onclick: signOut, text: t('signOut') }) : null)))
}

async function signOut () {
  await api('DELETE', '/console/session').catch(() => {})
  session = null
  location.hash = ''
  await start()
}

function markCurrent (id) {
  for (const a of top.querySelectorAll('nav a')) {
    if (a.dataset.view === id) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
}

async function route () {
  if (!session?.signedIn) return
  // A view that ends after the session changed (sign-out, expiry, another sign-in) draws nothing.
  const current = session
  const views = VIEWS[session.role]
  const [id, ...rest] = location.hash.replace(/^#\/?/, '').split('/')
  const view = views.find((v) => v[0] === id) ?? views[0]
  markCurrent(view[0])
  main.replaceChildren(h('p', { text: t('loading') }))
  try {
    const content = await view[2](rest.map(decodeURIComponent), session)
    if (session !== current) return
    main.replaceChildren(content)
  } catch (err) {
    if (session !== current) return
    main.replaceChildren(h('p', { role: 'alert', class: 'status failed', text: problemText(err) }))
  }
  const heading = main.querySelector('h1')
  document.title = (heading ? heading.textContent + ' · ' : '') + t('brand')
}

function signInView (options) {
  const parts = [h('h1', { text: t('signInTitle') })]
  if (options.oidc) {
    parts.push(h('p', {}, h('a', { class: 'button', href: '/console/oidc/login' + (lang === 'en' ? '?lang=en' : ''),
      text: t('signInOidc') })))
  }
  if (options.dev) parts.push(devSignIn(options))
  if (!options.oidc && !options.dev) parts.push(h('p', { text: t('noSignIn') }))
  return h('section', { 'aria-labelledby': 'signin-h' }, ...parts.map((p, i) => {
    if (i === 0) p.id = 'signin-h'
    return p
  }))
}

function devSignIn (options) {
  const role = h('select', { id: 'dev-role', name: 'role' },
    ['auditor', 'dept_admin', 'admin', 'subject'].map((r) => h('option', { value: r, text: t('role_' + r) })))
  const dept = h('select', { id: 'dev-dept', name: 'dept' },
    (options.departments ?? []).map((d) => h('option', { value: d.id, text: `${d.name} (${d.id})` })))
  const idNumber = h('input',
    { id: 'dev-id', name: 'idNumber', autocomplete: 'off', value: options.demoIdNumber ?? '' })
  const deptField = h('div', {}, h('label', { for: 'dev-dept', text: t('department') }), dept)
  const idField = h('div', {}, h('label', { for: 'dev-id', text: t('idNumber') }), idNumber,
    h('span', { class: 'hint', text: t('demoIdHint') }))
  const message = h('p', { role: 'alert', class: 'status' })
  const sync = () => {
    deptField.hidden = role.value !== 'dept_admin'
    idField.hidden = role.value !== 'subject'
  }
  role.addEventListener('change', sync)
  sync()
  const form = h('form', { class: 'dev', 'aria-labelledby': 'dev-h' },
    h('h2', { id: 'dev-h', text: t('devTitle') }),
    h('p', { text: t('devNote') }),
    h('div', { class: 'field' }, h('label', { for: 'dev-role', text: t('role') }), role),
    deptField, idField,
    h('button', { type: 'submit', text: t('signInButton') }), message)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = { role: role.value }
    if (role.value === 'dept_admin') body.dept = dept.value
    if (role.value === 'subject') body.idNumber = idNumber.value
    try {
      await api('POST', '/console/session/dev', body)
      location.hash = ''
      await start()
    } catch (err) {
      message.textContent = problemText(err)
    }
  })
  return form
}

async function start () {
  session = await api('GET', '/console/session')
  setCsrf(session.csrf ?? null)
  drawHeader()
  if (!session.signedIn) {
    main.replaceChildren(signInView(session.signIn))
    document.title = t('signInTitle') + ' · ' + t('brand')
    return
  }
  await route()
}

whenSessionEnds(() => {
  session = null
  setCsrf(null)
  drawHeader()
  api('GET', '/console/session').then((s) => {
    main.replaceChildren(h('p', { role: 'alert', class: 'status failed', text: t('sessionEnded') }),
      signInView(s.signIn))
  }).catch(() => {})
})
window.addEventListener('hashchange', () => { route() })
start().catch((err) => { main.replaceChildren(h('p', { role: 'alert', text: problemText(err) })) })
