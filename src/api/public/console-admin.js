/**
 * The admin's views: the clients (approval systems) with their questions, purposes and quotas, a
 * form to register one, and the purposes in use.
 */
import { api, field, h, problemText, say, status, table } from './console-dom.js'
import { t, titleOf } from './console-i18n.js'

async function purposeTitles () {
  // Registered purposes carry titles (GET /v1/purposes); a service without them shows the codes.
  try {
    const { purposes } = await api('GET', '/v1/purposes')
    return new Map(purposes.map((p) => [p.id, titleOf(p.titles, p.id)]))
  } catch {
    return new Map()
  }
}

export async function clientsView () {
  const [{ clients }, { questions }, purposes] = await Promise.all([
    api('GET', '/v1/clients'), api('GET', '/v1/questions'), purposeTitles()])
  const titles = new Map(questions.map((q) => [q.id, titleOf(q.titles, q.title || q.id)]))
  const list = table(t('clientsTitle'), [t('clientId'), t('name'), t('organisation'), t('questions'), t('purposes'),
    t('active')], clients.map((c) => [c.id, c.name, c.organisation ?? '',
    c.questions.map((q) => titles.get(q) ?? q).join('、'), c.purposes.map((p) => purposes.get(p) ?? p).join('、'),
    c.active ? t('yes') : t('no')]))

  const id = h('input', { id: 'n-id', required: true, pattern: '[a-z0-9][a-z0-9_.\\-]{0,63}' })
  const name = h('input', { id: 'n-name', required: true })
  const org = h('input', { id: 'n-org' })
  const purposeCodes = h('input', { id: 'n-purposes', required: true })
  const boxes = questions.map((q) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: q.id, name: 'questions' }), ' ' + titles.get(q.id)))
  const result = status('client-status')
  const form = h('form', { 'aria-labelledby': 'new-client-h' },
    h('h2', { id: 'new-client-h', text: t('newClient') }),
    h('div', { class: 'grid' }, field(t('clientId'), id), field(t('name'), name), field(t('organisation'), org),
      field(t('purposes'), purposeCodes, t('purposesHint'))),
    h('fieldset', {}, h('legend', { text: t('questions') }), boxes),
    h('button', { type: 'submit', text: t('create') }), result)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = {
      id: id.value,
      name: name.value,
      questions: boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
      purposes: purposeCodes.value.split(/[,，\s]+/).filter((p) => p !== '')
    }
    if (org.value !== '') body.organisation = org.value
    try {
      await api('POST', '/v1/clients', body)
      say(result, t('created'), 'ok')
      const again = await clientsView()
      form.closest('section')?.replaceWith(again)
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  })
  return h('section', {}, h('h1', { text: t('clientsTitle') }), list, form, quotasForm(clients))
}

const QUOTAS = ['requestsPerMinute', 'subjectsPerDay', 'subjectsPerCase', 'namesPerSubjectPerDay']

/** A client's limits, edited (PUT /v1/clients/:id/quotas; the change is an audit entry). */
function quotasForm (clients) {
  const which = h('select', { id: 'qt-client' }, clients.map((c) => h('option', { value: c.id, text: c.id })))
  const inputs = Object.fromEntries(QUOTAS.map((q) =>
    [q, h('input', { id: 'qt-' + q, type: 'number', min: 0, max: 10000000, required: true })]))
  const fill = () => {
    const c = clients.find((x) => x.id === which.value)
    for (const q of QUOTAS) inputs[q].value = String(c?.quotas?.[q] ?? '')
  }
  which.addEventListener('change', fill)
  fill()
  const result = status('quota-status')
  const form = h('form', { 'aria-labelledby': 'quotas-h' },
    h('h2', { id: 'quotas-h', text: t('editQuotas') }),
    h('div', { class: 'grid' }, field(t('caller'), which), ...QUOTAS.map((q) => field(t('quota_' + q), inputs[q]))),
    h('button', { type: 'submit', text: t('save') }), result)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const c = clients.find((x) => x.id === which.value)
    const quotas = Object.fromEntries(QUOTAS.map((q) => [q, Number(inputs[q].value)]))
    try {
      const saved = await api('PUT', `/v1/clients/${encodeURIComponent(which.value)}/quotas`,
        { quotas, autoSuspend: c.autoSuspend })
      Object.assign(c, saved)
      say(result, t('saved'), 'ok')
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  })
  return form
}

export async function purposesView () {
  const [{ clients }, titles] = await Promise.all([api('GET', '/v1/clients'), purposeTitles()])
  const users = new Map([...titles.keys()].map((p) => [p, []]))
  for (const c of clients) for (const p of c.purposes) users.set(p, [...(users.get(p) ?? []), c.id])
  const id = h('input', { id: 'p-id', required: true, maxlength: 128 })
  const zh = h('input', { id: 'p-zh', required: true, lang: 'zh-CN' })
  const en = h('input', { id: 'p-en', lang: 'en' })
  const result = status('purpose-status')
  const form = h('form', { 'aria-labelledby': 'new-purpose-h' },
    h('h2', { id: 'new-purpose-h', text: t('newPurpose') }),
    h('div', { class: 'grid' }, field(t('purposeId'), id), field(t('titleZh'), zh), field(t('titleEn'), en)),
    h('button', { type: 'submit', text: t('create') }), result)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = { id: id.value, titles: { zh: zh.value, ...(en.value === '' ? {} : { en: en.value }) } }
    try {
      await api('POST', '/v1/purposes', body)
      const again = await purposesView()
      form.closest('section')?.replaceWith(again)
      say(again.querySelector('#purpose-status'), t('created'), 'ok')
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  })
  return h('section', {}, h('h1', { text: t('purposesTitle') }),
    table(t('purposesTitle'), [t('clientId'), t('name'), t('usedBy')],
      [...users].sort(([a], [b]) => a.localeCompare(b)).map(([p, by]) => [p, titles.get(p) ?? p, by.join(', ')])),
    form)
}

/** A control with its own error list beneath: the service's errors are shown next to what they are about. */
function checked (label, control, hint) {
  const errors = h('ul', { class: 'field-errors', id: control.id + '-errors' })
  const wrap = field(label, control, hint)
  wrap.append(errors)
  control.setAttribute('aria-describedby',
    [control.getAttribute('aria-describedby'), errors.id].filter((x) => x).join(' '))
  return {
    wrap,
    show (messages) {
      errors.replaceChildren(...messages.map((m) => h('li', { text: m })))
      if (messages.length > 0) control.setAttribute('aria-invalid', 'true')
      else control.removeAttribute('aria-invalid')
    }
  }
}

function parseJson (text, show) {
  try {
    return JSON.parse(text === '' ? '{}' : text)
  } catch (err) {
    show([t('notJson') + err.message])
    return undefined
  }
}

/** The questions, and a form to register one whose INVALID_DEFINITION errors appear beside their field. */
export async function questionsView () {
  const [{ questions }, { connectors }] = await Promise.all([api('GET', '/v1/questions'),
    api('GET', '/v1/connectors')])
  const list = table(t('questionsTitle'), [t('questionId'), t('name'), t('params')],
    questions.map((q) => [q.id, titleOf(q.titles, q.title || q.id), JSON.stringify(q.params ?? {})]))
  const id = h('input', { id: 'q-id', required: true })
  const connector = h('select', { id: 'q-connector', required: true },
    connectors.map((c) => h('option', { value: c.id, text: c.id })))
  const zh = h('input', { id: 'q-zh', required: true, lang: 'zh-CN' })
  const en = h('input', { id: 'q-en', lang: 'en' })
  const params = h('textarea', { id: 'q-params', rows: 2, spellcheck: 'false', text: '{}' })
  const when = h('textarea', { id: 'q-when', rows: 6, spellcheck: 'false', required: true })
  const paramsField = checked(t('params'), params, t('paramsHint'))
  const whenField = checked(t('when'), when, t('whenHint'))
  const result = status('question-status')
  const form = h('form', { 'aria-labelledby': 'new-question-h' },
    h('h2', { id: 'new-question-h', text: t('newQuestion') }),
    h('div', { class: 'grid' }, field(t('questionId'), id), field(t('connector'), connector),
      field(t('titleZh'), zh), field(t('titleEn'), en)),
    paramsField.wrap, whenField.wrap,
    h('button', { type: 'submit', text: t('create') }), result)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    paramsField.show([])
    whenField.show([])
    say(result, '')
    const p = parseJson(params.value, paramsField.show)
    const w = parseJson(when.value, whenField.show)
    if (p === undefined || w === undefined) return
    const body = {
      id: id.value,
      connector: connector.value,
      title: zh.value,
      titles: { zh: zh.value, ...(en.value === '' ? {} : { en: en.value }) },
      params: p,
      when: w
    }
    try {
      await api('POST', '/v1/questions', body)
      const again = await questionsView()
      form.closest('section')?.replaceWith(again)
      say(again.querySelector('#question-status'), t('created'), 'ok')
    } catch (err) {
      const errors = err.problem?.errors ?? []
      if (err.code === 'INVALID_DEFINITION' && errors.length > 0) {
        // The predicate's errors, each with its path inside the predicate.
        whenField.show(errors.map((e) => `${e.path || '/'}: ${e.message}`))
      } else if (err.code === 'INVALID_DEFINITION' && /^params\//.test(err.message)) {
        paramsField.show([err.message])
      }
      say(result, problemText(err), 'failed')
    }
  })
  return h('section', {}, h('h1', { text: t('questionsTitle') }), list, form)
}

/** The departments, and a form to register one. */
export async function departmentsView () {
  const { departments } = await api('GET', '/v1/departments')
  const id = h('input', { id: 'd-id', required: true, pattern: '[a-z0-9][a-z0-9_.\\-]{0,63}' })
  const name = h('input', { id: 'd-name', required: true })
  const result = status('department-status')
  const form = h('form', { 'aria-labelledby': 'new-department-h' },
    h('h2', { id: 'new-department-h', text: t('newDepartment') }),
    h('div', { class: 'grid' }, field(t('departmentId'), id), field(t('name'), name)),
    h('button', { type: 'submit', text: t('create') }), result)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    try {
      await api('POST', '/v1/departments', { id: id.value, name: name.value })
      const again = await departmentsView()
      form.closest('section')?.replaceWith(again)
      say(again.querySelector('#department-status'), t('created'), 'ok')
    } catch (err) {
      say(result, problemText(err), 'failed')
    }
  })
  return h('section', {}, h('h1', { text: t('departmentsTitle') }),
    table(t('departmentsTitle'), [t('departmentId'), t('name'), t('active')],
      departments.map((d) => [d.id, d.name, d.active === false ? t('no') : t('yes')])),
    form)
}
