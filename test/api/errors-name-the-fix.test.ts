/**
 * Errors that name the fix (design §14.6): each refusal says which field or question to change and
 * what is accepted, never echoing an ID number or a name. Table-driven over the request bodies an
 * integrating developer gets wrong.
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { UNLIMITED } from '../helpers/registry.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'

const { app, database, keyring, as, token } = await build(t)
const { people } = await loadDemo(database, keyring, 20)
const lifted = await as(ADMIN)('PUT', '/v1/clients/' + DEMO_CLIENT + '/quotas', { quotas: UNLIMITED })
if (lifted.statusCode !== 200) throw new Error(lifted.body)
const caller = as(CALLER)
const person = people[0]!

function body (patch: Record<string, unknown> = {}, subject: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: { idNumber: person.idNumber, name: person.name, ...subject },
    questions: [{ id: 'identity.name_matches' }, { id: 'property.holds' }],
    purpose: DEMO_PURPOSE,
    caseId: 'ERR-1',
    ...patch
  }
}

interface Case {
  what: string
  sent: Record<string, unknown>
  status: number
  code: string
  /** members of the problem document */
  has: Record<string, unknown>
  /** text the detail must hold */
  says: RegExp
}

const cases: Case[] = [
  {
    what: 'a misspelt field inside subject',
    sent: body({}, { nmae: 'x' }),
    status: 400,
    code: 'UNKNOWN_FIELD',
    has: { field: '/subject/nmae', suggestions: ['name'] },
    says: /\/subject\/nmae.*did you mean name/
  },
  {
    what: 'an unknown top-level field',
    sent: body({ role: 'admin' }),
    status: 400,
    code: 'UNKNOWN_FIELD',
    has: { field: '/role', suggestions: [] },
    says: /body\/role is not a field/
  },
  {
    what: 'an unknown field in the second question',
    sent: body({ questions: [{ id: 'property.holds' }, { id: 'property.none', parms: {} }] }),
    status: 400,
    code: 'UNKNOWN_FIELD',
    has: { field: '/questions/1/parms', suggestions: ['params'] },
    says: /questions\/1\/parms/
  },
  {
    what: 'an ID number used as a field name is not echoed',
    sent: body({}, { [person.idNumber]: 'x' }),
    status: 400,
    code: 'UNKNOWN_FIELD',
    has: { field: '/subject/*' },
    says: /not repeated.*idNumber, name/
  },
  {
    what: 'a missing field',
    sent: { subject: { idNumber: person.idNumber }, questions: [{ id: 'property.holds' }], purpose: DEMO_PURPOSE },
    status: 400,
    code: 'INVALID_BODY',
    has: { field: '/caseId', expected: 'is required' },
    says: /body\/caseId is required/
  },
  {
    what: 'a number where a string goes',
    sent: body({}, { idNumber: 11010519491231 }),
    status: 400,
    code: 'INVALID_BODY',
    has: { field: '/subject/idNumber', expected: 'must be a JSON string (never a number)' },
    says: /subject\/idNumber must be a JSON string/
  },
  {
    what: 'a purpose with a non-ASCII character',
    sent: body({ purpose: 'housing–subsidy' }),
    status: 400,
    code: 'INVALID_BODY',
    has: { field: '/purpose', expected: 'must be 1–128 printable ASCII characters' },
    says: /purpose must be 1–128 printable ASCII/
  },
  {
    what: 'a caseId with a control character',
    sent: body({ caseId: 'HS\u00072026' }),
    status: 400,
    code: 'INVALID_BODY',
    has: { field: '/caseId' },
    says: /caseId must be 1–128 Unicode letters/
  },
  {
    what: 'a question id with capitals',
    sent: body({ questions: [{ id: 'Property.holds' }] }),
    status: 400,
    code: 'INVALID_BODY',
    has: { field: '/questions/0/id' },
    says: /questions\/0\/id must be an id of 1–64 characters a-z/
  },
  {
    what: 'a misspelt question, second of three',
    sent: body({ questions: [{ id: 'identity.name_matches' }, { id: 'property.hold' }, { id: 'property.none' }] }),
    status: 403,
    code: 'QUESTION_NOT_ALLOWED',
    has: {
      field: '/questions/1/id',
      question: 'property.hold',
      questions: [{ field: '/questions/1/id', question: 'property.hold', suggestions: ['property.holds'] }]
    },
    says: /property\.hold \(did you mean property\.holds\?\).*GET \/v1\/questions/
  },
  {
    what: 'two questions not allowed, one not existing',
    sent: body({ questions: [{ id: 'secret.thing' }, { id: 'property.holds' }, { id: 'nothing.here' }] }),
    status: 403,
    code: 'QUESTION_NOT_ALLOWED',
    has: {
      question: 'secret.thing',
      questions: [
        { field: '/questions/0/id', question: 'secret.thing', suggestions: [] },
        { field: '/questions/2/id', question: 'nothing.here', suggestions: [] }
      ]
    },
    says: /may not ask secret\.thing, nothing\.here/
  },
  {
    what: 'a purpose not registered',
    sent: body({ purpose: 'marriage' }),
    status: 403,
    code: 'PURPOSE_NOT_ALLOWED',
    has: { field: '/purpose', purposes: [DEMO_PURPOSE, 'public-rental-flat'].sort() },
    says: /registered purposes are: housing-subsidy, public-rental-flat/
  }
]

for (const c of cases) {
  t.test(c.what, async (t) => {
    const res = await caller('POST', '/v1/verifications', c.sent)
    t.equal(res.statusCode, c.status, res.body)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const problem = res.json()
    t.equal(problem.code, c.code)
    t.match(problem, c.has)
    t.match(problem.detail, c.says)
    t.notOk(res.body.includes(person.idNumber), 'the ID number is not echoed')
    t.notOk(res.body.includes(person.name), 'the name is not echoed')
  })
}

t.test('a refused question is audited under its id; the suggestions are for the caller only', async (t) => {
  const res = await caller('POST', '/v1/verifications', body({ caseId: 'ERR-AUDIT', questions: [{ id: 'tax.paid' }] }))
  t.equal(res.statusCode, 403)
  const entries = (await as(AUDITOR)('GET', '/v1/audit/entries?kind=refusal&caseId=ERR-AUDIT')).json().entries
  t.equal(entries.length, 1)
  t.match(entries[0], { code: 'QUESTION_NOT_ALLOWED', question: 'tax.paid' })
  t.notOk(JSON.stringify(entries[0]).includes('suggestions'), 'no hint in the entry')
})

t.test('a suggestion never names a question the client may not ask', async (t) => {
  const admin = as(ADMIN)
  const q = { id: 'property.holds2', connector: 'realestate', title: 'Other', when: { any: {} } }
  t.equal((await admin('POST', '/v1/questions', q)).statusCode, 201)
  const res = await caller('POST', '/v1/verifications', body({ questions: [{ id: 'property.holds3' }] }))
  t.equal(res.statusCode, 403)
  t.same(res.json().questions[0].suggestions, ['property.holds'], 'only the question it may ask')
})

t.test('415 names the media type to send', async (t) => {
  for (const [what, type] of [
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['JSON in Latin-1', 'application/json; charset=latin1']
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/verifications',
      headers: { authorization: 'Bearer ' + token(CALLER), 'content-type': type },
      payload: JSON.stringify(body())
    })
    t.equal(res.statusCode, 415, what)
    t.match(res.json(), { code: 'UNSUPPORTED_MEDIA_TYPE', accepted: ['application/json'] }, what)
    t.match(res.json().detail, /application\/json/, what + ': the detail names it')
  }
  const upload = await as(ADMIN)('PUT', '/v1/connectors/tax/snapshot?asOf=2026-01-01', 'a,b\n', {
    'content-type': 'text/plain'
  })
  t.equal(upload.statusCode, 415)
  t.match(upload.json(), { accepted: ['text/csv', 'application/x-ndjson'] }, 'a load names CSV and NDJSON')
})

t.test('a query parameter names itself and what it takes', async (t) => {
  const res = await as(AUDITOR)('GET', '/v1/audit/entries?limit=abc')
  t.equal(res.statusCode, 400)
  t.match(res.json(), { code: 'INVALID_QUERY', field: '/limit' })
})
