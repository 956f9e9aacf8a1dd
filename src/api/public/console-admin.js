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
  return h('section', {}, h('h1', { text: t('clientsTitle') }), list, form)
}

export async function purposesView () {
  const [{ clients }, titles] = await Promise.all([api('GET', '/v1/clients'), purposeTitles()])
  const users = new Map([...titles.keys()].map((p) => [p, []]))
  for (const c of clients) for (const p of c.purposes) users.set(p, [...(users.get(p) ?? []), c.id])
  return h('section', {}, h('h1', { text: t('purposesTitle') }),
    table(t('purposesTitle'), [t('clientId'), t('name'), t('usedBy')],
      [...users].sort(([a], [b]) => a.localeCompare(b)).map(([p, by]) => [p, titles.get(p) ?? p, by.join(', ')])))
}
