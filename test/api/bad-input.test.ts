/**
 * Bad inputs at the HTTP boundary (design §5; research §2.13, §4.3 I1–I11, §4.4 A14). Every bad
 * request is refused with its exact code, never a 5xx, never echoes the identifier or the name it
 * carried, and writes no audit entry (400s are not audit entries). Decorated spellings of one ID
 * are the same subject: same answers, same audit pseudonym.
 */
import t, { type Test } from 'tap'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { UNLIMITED } from '../helpers/registry.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { checkDigit } from '../../src/matchers/cn-resident-id.ts'

const URL = '/v1/verifications'

const { app, database, keyring, as, token } = await build(t)
const { people } = await loadDemo(database, keyring, 50)
// This file sends thousands of valid requests about few people (many names per ID): lift the
// demo caller's abuse limits so that what is tested here is input handling (test/abuse covers them).
const lifted = await as(ADMIN)('PUT', '/v1/clients/' + DEMO_CLIENT + '/quotas', { quotas: UNLIMITED })
if (lifted.statusCode !== 200) throw new Error(lifted.body)
const caller = as(CALLER)
const bearer = 'Bearer ' + token(CALLER)
const person = people[0]!
const ID = person.idNumber
const NAME = person.name

const count = async (table: string): Promise<number> =>
  Number((await database.query<{ n: string }>(`select count(*) as n from ${table}`))[0]!.n)

/** A valid request, with `patch` applied on top. */
function body (patch: Record<string, unknown> = {}, subject: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: { idNumber: ID, name: NAME, ...subject },
    questions: [{ id: 'identity.name_matches' }, { id: 'property.holds' }],
    purpose: DEMO_PURPOSE,
    caseId: 'BAD-INPUT-1',
    ...patch
  }
}

async function post (
  payload: string | Buffer,
  contentType: string | null = 'application/json'
): Promise<LightMyRequestResponse> {
  return await app.inject({
    method: 'POST',
    url: URL,
    headers: { authorization: bearer, ...(contentType === null ? {} : { 'content-type': contentType }) },
    payload
  })
}

/**
 * Sends one bad request (an object is sent as JSON; a string or Buffer as it is) and checks the
 * refusal: status, code, problem+json, nothing sent is echoed, no audit entry.
 */
async function refused (
  t: Test,
  what: string,
  sent: Record<string, unknown> | string | Buffer,
  status: number,
  code: string,
  opts: { contentType?: string | null, secrets?: string[] } = {}
): Promise<void> {
  const before = await count('audit_entries')
  const payload = typeof sent === 'string' || Buffer.isBuffer(sent) ? sent : JSON.stringify(sent)
  const res = await post(payload, opts.contentType === undefined ? 'application/json' : opts.contentType)
  t.equal(res.statusCode, status, `${what}: status (${res.body})`)
  t.ok(res.statusCode < 500, what + ': not a 5xx')
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', what + ': problem+json')
  t.equal(res.json().code, code, what + ': code')
  for (const secret of opts.secrets ?? [ID, NAME]) {
    t.notOk(res.body.includes(secret), what + ': does not echo what was sent')
  }
  t.equal(await count('audit_entries'), before, what + ': no audit entry')
}

t.test('the valid request answers (the control for every case below)', async (t) => {
  const res = await caller('POST', URL, body())
  t.equal(res.statusCode, 200, res.body)
  t.same(
    res
      .json()
      .answers.map((a: { question: string, answer: string }) => [a.question, a.answer])
      .slice(0, 1),
    [['identity.name_matches', 'yes']]
  )
  // The body limit is 16 KiB: exactly 16,384 bytes (JSON whitespace padding) still answers.
  const text = JSON.stringify(body())
  const padded = text.slice(0, -1) + ' '.repeat(16 * 1024 - Buffer.byteLength(text)) + '}'
  t.equal(Buffer.byteLength(padded), 16 * 1024)
  t.equal((await post(padded)).statusCode, 200)
  // 128 printable characters are a valid caseId and purpose length
  const long = await caller('POST', URL, body({ caseId: '~'.repeat(128) }))
  t.equal(long.statusCode, 200, long.body)
})

t.test('unknown fields are refused, not dropped (mass assignment)', async (t) => {
  await refused(t, 'top level', body({ role: 'admin' }), 400, 'UNKNOWN_FIELD')
  await refused(t, 'top level: department', body({ department: 'tax' }), 400, 'UNKNOWN_FIELD')
  await refused(t, 'top level: answer', body({ answer: 'yes' }), 400, 'UNKNOWN_FIELD')
  await refused(t, 'inside subject', body({}, { birthDate: '1980-01-01' }), 400, 'UNKNOWN_FIELD')
  await refused(
    t,
    'inside a question',
    body({ questions: [{ id: 'property.holds', answer: 'yes' }] }),
    400,
    'UNKNOWN_FIELD'
  )
  await refused(
    t,
    'inside the second question',
    body({
      questions: [{ id: 'property.holds' }, { id: 'tax.paid_in_year', params: { year: 2025 }, connector: 'tax' }]
    }),
    400,
    'UNKNOWN_FIELD'
  )
})

t.test('idNumber must be a JSON string: no coercion', async (t) => {
  const rest = '"questions":[{"id":"property.holds"}],"purpose":"' + DEMO_PURPOSE + '","caseId":"C-1"'
  const secrets = [ID, '110105194912310021', '110105194912310020', '1.1010519491231002e+17']
  await refused(
    t,
    'a JSON number above 2^53',
    `{"subject":{"idNumber":110105194912310021},${rest}}`,
    400,
    'INVALID_BODY',
    { secrets }
  )
  await refused(
    t,
    "the person's ID as a number",
    `{"subject":{"idNumber":${ID.replace('X', '')}},${rest}}`,
    400,
    'INVALID_BODY',
    { secrets }
  )
  for (const [what, value] of [
    ['boolean', true],
    ['null', null],
    ['array', [ID]],
    ['object', { value: ID }],
    ['array of digits', ID.split('')]
  ] as const) {
    await refused(t, 'idNumber as ' + what, body({}, { idNumber: value }), 400, 'INVALID_BODY')
  }
  await refused(t, 'name as a number', body({}, { name: 12 }), 400, 'INVALID_BODY')
  await refused(t, 'subject as a string', body({ subject: ID }), 400, 'INVALID_BODY')
  await refused(t, 'questions as an object', body({ questions: { id: 'property.holds' } }), 400, 'INVALID_BODY')
  await refused(t, 'caseId as a number', body({ caseId: 12345 }), 400, 'INVALID_BODY')
})

t.test('bodies: size, media type, emptiness, JSON syntax', async (t) => {
  const big = JSON.stringify(body({ caseId: 'C-1' }))
  await refused(
    t,
    '1 byte over 16 KiB',
    big.slice(0, -1) + ' '.repeat(16 * 1024 + 1 - Buffer.byteLength(big)) + '}',
    413,
    'PAYLOAD_TOO_LARGE'
  )
  await refused(t, '1 MiB', JSON.stringify(body({ pad: 'x'.repeat(1024 * 1024) })), 413, 'PAYLOAD_TOO_LARGE')
  await refused(t, 'text/plain', JSON.stringify(body()), 415, 'UNSUPPORTED_MEDIA_TYPE', { contentType: 'text/plain' })
  await refused(t, 'text/plain; charset=utf-8', JSON.stringify(body()), 415, 'UNSUPPORTED_MEDIA_TYPE', {
    contentType: 'text/plain; charset=utf-8'
  })
  await refused(t, 'application/x-www-form-urlencoded', `idNumber=${ID}`, 415, 'UNSUPPORTED_MEDIA_TYPE', {
    contentType: 'application/x-www-form-urlencoded'
  })
  await refused(t, 'text/csv', `idNumber\n${ID}\n`, 415, 'UNSUPPORTED_MEDIA_TYPE', { contentType: 'text/csv' })
  await refused(t, 'JSON declared as UTF-16', JSON.stringify(body()), 415, 'UNSUPPORTED_MEDIA_TYPE', {
    contentType: 'application/json; charset=utf-16'
  })
  await refused(t, 'JSON in UTF-16', Buffer.from(JSON.stringify(body()), 'utf16le'), 415, 'UNSUPPORTED_MEDIA_TYPE', {
    contentType: 'application/json; charset=utf-16'
  })
  await refused(t, 'JSON declared as Latin-1', JSON.stringify(body()), 415, 'UNSUPPORTED_MEDIA_TYPE', {
    contentType: 'application/json; charset=iso-8859-1'
  })
  for (const contentType of [
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json;charset="utf-8"',
    'Application/JSON'
  ]) {
    const res = await post(JSON.stringify(body()), contentType)
    t.equal(res.statusCode, 200, contentType + ' is accepted: ' + res.body)
  }
  await refused(t, 'no content type', JSON.stringify(body()), 415, 'UNSUPPORTED_MEDIA_TYPE', { contentType: null })
  await refused(t, 'empty JSON body', '', 400, 'INVALID_BODY')
  await refused(t, 'whitespace JSON body', '  \n ', 400, 'INVALID_BODY')
  await refused(t, 'no body, no content type', '', 400, 'INVALID_BODY', { contentType: null })
  await refused(t, 'JSON null', 'null', 400, 'INVALID_BODY')
  await refused(t, 'JSON array', '[]', 400, 'INVALID_BODY')
  await refused(t, 'JSON string', JSON.stringify(ID), 400, 'INVALID_BODY')
  await refused(t, 'truncated JSON', JSON.stringify(body()).slice(0, 40), 400, 'INVALID_BODY')
  await refused(t, 'trailing garbage', JSON.stringify(body()) + 'x', 400, 'INVALID_BODY')
  await refused(t, 'two documents', JSON.stringify(body()) + JSON.stringify(body()), 400, 'INVALID_BODY')
  await refused(t, 'single quotes', `{'subject':{'idNumber':'${ID}'}}`, 400, 'INVALID_BODY')
  await refused(t, 'nested 8,000 deep', '['.repeat(8000) + ']'.repeat(8000), 400, 'INVALID_BODY')
  const deep =
    '{"subject":{"idNumber":"' +
    ID +
    '"},"questions":[{"id":"property.holds","params":{"a":' +
    '['.repeat(40) +
    ']'.repeat(40) +
    '}}],"purpose":"' +
    DEMO_PURPOSE +
    '","caseId":"C-1"}'
  await refused(t, 'nested 40 deep inside params', deep, 400, 'INVALID_BODY')
})

t.test('prototype pollution is refused and pollutes nothing', async (t) => {
  const id = JSON.stringify(ID)
  const name = JSON.stringify(NAME)
  const rest = `"questions":[{"id":"property.holds"}],"purpose":"${DEMO_PURPOSE}","caseId":"C-1"`
  const cases: Array<[string, string]> = [
    ['__proto__ at the top', `{"__proto__":{"polluted":"yes"},"subject":{"idNumber":${id},"name":${name}},${rest}}`],
    ['__proto__ last', `{"subject":{"idNumber":${id},"name":${name}},${rest},"__proto__":{"polluted":"yes"}}`],
    ['__proto__ in subject', `{"subject":{"idNumber":${id},"name":${name},"__proto__":{"polluted":"yes"}},${rest}}`],
    [
      '__proto__ in params',
      `{"subject":{"idNumber":${id},"name":${name}},` +
      '"questions":[{"id":"tax.paid_in_year","params":{"year":2025,"__proto__":{"polluted":"yes"}}}],' +
      `"purpose":"${DEMO_PURPOSE}","caseId":"C-1"}`
    ],
    ['escaped __proto__', `{"\\u005f_proto__":{"polluted":"yes"},"subject":{"idNumber":${id},"name":${name}},${rest}}`],
    [
      'constructor.prototype at the top',
      `{"constructor":{"prototype":{"polluted":"yes"}},"subject":{"idNumber":${id},"name":${name}},${rest}}`
    ],
    [
      'constructor.prototype in subject',
      `{"subject":{"idNumber":${id},"name":${name},"constructor":{"prototype":{"polluted":"yes"}}},${rest}}`
    ],
    [
      'constructor.prototype in a question',
      `{"subject":{"idNumber":${id},"name":${name}},` +
      '"questions":[{"id":"property.holds","constructor":{"prototype":{"polluted":"yes"}}}],' +
      `"purpose":"${DEMO_PURPOSE}","caseId":"C-1"}`
    ]
  ]
  for (const [what, text] of cases) await refused(t, what, text, 400, 'INVALID_BODY')
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched')
  t.notOk(Object.hasOwn(Object.prototype, 'polluted'))
  t.equal((Object.prototype as Record<string, unknown>).polluted, undefined)
})

t.test('ill-formed strings: lone surrogates, NUL, invalid UTF-8', async (t) => {
  /** The rest of a request body after its subject, as JSON text. */
  const ASK_PROPERTY = `"questions":[{"id":"property.holds"}],"purpose":"${DEMO_PURPOSE}","caseId":"C-1"}`
  const rest = (caseId: string, name: string): string =>
    `{"subject":{"idNumber":"${ID}","name":"${name}"},"questions":[{"id":"identity.name_matches"}],` +
    `"purpose":"${DEMO_PURPOSE}","caseId":"${caseId}"}`
  await refused(t, 'lone high surrogate in name', rest('C-1', NAME + '\\ud800'), 400, 'INVALID_BODY')
  await refused(t, 'lone low surrogate in name', rest('C-1', '\\udc00' + NAME), 400, 'INVALID_BODY')
  await refused(t, 'reversed surrogate pair in name', rest('C-1', '\\udc00\\ud800'), 400, 'INVALID_BODY')
  await refused(t, 'lone surrogate in caseId', rest('C-\\ud800', NAME), 400, 'INVALID_BODY')
  await refused(
    t,
    'lone surrogate in idNumber',
    `{"subject":{"idNumber":"${ID}\\ud800"},` + ASK_PROPERTY,
    400,
    'INVALID_BODY'
  )
  await refused(t, 'NUL in caseId', rest('C-\\u0000', NAME), 400, 'INVALID_BODY')
  await refused(t, 'NUL in name', rest('C-1', NAME + '\\u0000'), 400, 'INVALID_BODY')
  await refused(
    t,
    'NUL in idNumber',
    `{"subject":{"idNumber":"${ID}\\u0000"},` + ASK_PROPERTY,
    400,
    'INVALID_BODY'
  )
  await refused(
    t,
    'NUL in a key',
    `{"subject":{"idNumber":"${ID}","na\\u0000me":"x"},` + ASK_PROPERTY,
    400,
    'INVALID_BODY'
  )
  const [head, tail] = rest('C-1', '@@').split('@@') as [string, string]
  for (const [what, bytes] of [
    ['overlong NUL C0 80', [0xc0, 0x80]],
    ['0xFF', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['a truncated sequence', [0xe4, 0xbd]],
    ['an encoded surrogate ED A0 80', [0xed, 0xa0, 0x80]]
  ] as const) {
    await refused(
      t,
      'raw ' + what + ' in name',
      Buffer.concat([Buffer.from(head), Buffer.from(NAME), Buffer.from(bytes), Buffer.from(tail)]),
      400,
      'INVALID_BODY'
    )
  }
})

t.test('question lists, purpose and caseId', async (t) => {
  const many = Array.from({ length: 21 }, (_, i) => ({ id: `q${i}` }))
  await refused(t, '21 questions', body({ questions: many }), 400, 'INVALID_BODY')
  await refused(
    t,
    '21 real questions',
    body({ questions: Array.from({ length: 21 }, () => ({ id: 'property.holds' })) }),
    400,
    'INVALID_BODY'
  )
  await refused(t, 'no questions', body({ questions: [] }), 400, 'INVALID_BODY')
  await refused(
    t,
    'the same question twice',
    body({ questions: [{ id: 'property.holds' }, { id: 'property.holds' }] }),
    400,
    'INVALID_BODY'
  )
  await refused(
    t,
    'the same question twice with other params',
    body({
      questions: [
        { id: 'tax.paid_in_year', params: { year: 2024 } },
        { id: 'tax.paid_in_year', params: { year: 2025 } }
      ]
    }),
    400,
    'INVALID_BODY'
  )
  await refused(t, 'a question id with capitals', body({ questions: [{ id: 'Property.holds' }] }), 400, 'INVALID_BODY')
  await refused(
    t,
    'missing purpose',
    { subject: { idNumber: ID }, questions: [{ id: 'property.holds' }], caseId: 'C-1' },
    400,
    'INVALID_BODY'
  )
  await refused(
    t,
    'missing caseId',
    { subject: { idNumber: ID }, questions: [{ id: 'property.holds' }], purpose: DEMO_PURPOSE },
    400,
    'INVALID_BODY'
  )
  await refused(
    t,
    'missing subject',
    { questions: [{ id: 'property.holds' }], purpose: DEMO_PURPOSE, caseId: 'C-1' },
    400,
    'INVALID_BODY'
  )
  for (const field of ['purpose', 'caseId']) {
    for (const [what, value] of [
      ['empty', ''],
      ['129 characters', 'a'.repeat(129)],
      ['a newline', 'case\n1'],
      ['a TAB', 'case\t1'],
      ['BEL', 'case\u00071'],
      ['DEL', 'case\u007f'],
      ['NBSP', 'case\u00a01'],
      ['a zero-width space', 'case\u200b1'],
      ['a bidi override', '\u202ecase']
    ] as const) {
      await refused(t, `${field} with ${what}`, body({ [field]: value }), 400, 'INVALID_BODY')
    }
  }
  // A purpose is a registered code in ASCII; a case number may be in any script (test/api/case-id.test.ts).
  for (const [what, value] of [['non-ASCII', 'café'], ['a CJK character', '案件1']] as const) {
    await refused(t, `purpose with ${what}`, body({ purpose: value }), 400, 'INVALID_BODY')
  }
})

/** 17 digits and their check digit. */
const withCheck = (first17: string): string => first17 + checkDigit(first17)

t.test('invalid ID numbers', async (t) => {
  const wrongCheck = ID.slice(0, 17) + (ID[17] === '0' ? '1' : '0')
  const cases: Array<[string, string]> = [
    ['wrong check digit', wrongCheck],
    ['19490230 (no such date)', withCheck('110105' + '19490230' + '123')],
    ['19490229 (not a leap year)', withCheck('110105' + '19490229' + '123')],
    ['month 13', withCheck('110105' + '19491301' + '123')],
    ['a future birth date', withCheck('110105' + '20991231' + '123')],
    ['birth year 1799', withCheck('110105' + '17991231' + '123')],
    ['leading zero region', withCheck('010105' + '19800101' + '123')],
    ['an internal space', ID.slice(0, 6) + ' ' + ID.slice(6)],
    ['a hyphen', ID.slice(0, 6) + '-' + ID.slice(6)],
    ['a zero-width space', ID.slice(0, 9) + '\u200b' + ID.slice(9)],
    ['a trailing zero-width space', ID + '\u200b'],
    ['a BOM', '\ufeff' + ID],
    ['Arabic-Indic digits', ID.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)))],
    ['Devanagari digits', ID.replace(/\d/g, (d) => String.fromCharCode(0x0966 + Number(d)))],
    ['① circled digit', '①' + ID.slice(1)],
    ['mathematical bold digits', ID.replace(/\d/g, (d) => String.fromCodePoint(0x1d7ce + Number(d)))],
    ['17 characters', ID.slice(0, 17)],
    ['19 characters', ID + '0'],
    ['16 characters', ID.slice(0, 16)],
    ['a letter other than X last', ID.slice(0, 17) + 'Y'],
    ['an X not last', 'X' + ID.slice(1)],
    ['a newline after', ID + '\n'],
    ['a space', ' '],
    ['SQL', "' OR 1=1--"]
  ]
  for (const [what, idNumber] of cases) {
    await refused(t, what, body({}, { idNumber }), 400, 'INVALID_ID_NUMBER', {
      secrets: [idNumber.trim(), ID, NAME].filter((s) => s.length >= 4)
    })
  }
})

t.test('invalid names and a missing name', async (t) => {
  for (const [what, name] of [
    ['a bidi override U+202E', '\u202e' + NAME],
    ['a private-use character U+E000', NAME + '\ue000'],
    ['a zero-width joiner', NAME.slice(0, 1) + '\u200d' + NAME.slice(1)],
    ['a replacement character', NAME + '\ufffd'],
    ['a question mark placeholder', NAME.slice(0, 1) + '?'],
    ['an emoji', NAME + '😀'],
    ['a line break', NAME + '\n'],
    ['65 characters', '王'.repeat(65)]
  ] as const) {
    await refused(t, what, body({}, { name }), 400, 'INVALID_NAME', { secrets: [ID, NAME] })
  }
  await refused(
    t,
    'identity.name_matches without a name',
    {
      subject: { idNumber: ID },
      questions: [{ id: 'property.holds' }, { id: 'identity.name_matches' }],
      purpose: DEMO_PURPOSE,
      caseId: 'C-1'
    },
    400,
    'SUBJECT_NAME_REQUIRED'
  )
})

t.test('question parameters', async (t) => {
  /** The valid request asking one question with these params, which may be of any JSON type. */
  const asking = (id: string, params?: unknown): Record<string, unknown> =>
    body({ questions: [{ id, ...(params === undefined ? {} : { params }) }] })
  const cases: Array<[string, Record<string, unknown>]> = [
    ['missing', asking('tax.paid_in_year')],
    ['empty', asking('tax.paid_in_year', {})],
    ['a string for an integer', asking('tax.paid_in_year', { year: '2025' })],
    ['a fraction for an integer', asking('tax.paid_in_year', { year: 2025.5 })],
    ['a boolean for an integer', asking('tax.paid_in_year', { year: true })],
    ['an unknown param', asking('tax.paid_in_year', { year: 2025, month: 1 })],
    ['a param for a question with none', asking('property.holds', { year: 2025 })],
    ['a string for a number', asking('income.at_least', { year: 2025, min: '1000' })],
    ['a date that does not exist', asking('insurance.active_on', { date: '2025-02-30' })],
    ['a date in another format', asking('insurance.active_on', { date: '20250101' })],
    ['a number for a date', asking('insurance.active_on', { date: 20250101 })]
  ]
  for (const [what, b] of cases) await refused(t, what, b, 400, 'INVALID_PARAM')
  await refused(t, 'params as an array', asking('tax.paid_in_year', [2025]), 400, 'INVALID_BODY')
  await refused(t, 'params as null', asking('tax.paid_in_year', null), 400, 'INVALID_BODY')
  await refused(t, 'a param as an object', asking('tax.paid_in_year', { year: { value: 2025 } }), 400, 'INVALID_BODY')
  // and the well-formed ones answer
  const ok = await caller(
    'POST',
    URL,
    body({
      questions: [
        { id: 'tax.paid_in_year', params: { year: 2025 } },
        { id: 'income.at_least', params: { year: 2025, min: 1 } },
        { id: 'insurance.active_on', params: { date: '2025-01-01' } }
      ]
    })
  )
  t.equal(ok.statusCode, 200, ok.body)
})

t.test('decorated spellings of one ID are the same subject', async (t) => {
  // a person born in 19xx whose check character is X: every decoration applies
  const p = people.find((q) => q.idNumber.endsWith('X') && q.idNumber.startsWith('19', 6))
  if (p === undefined) throw new Error('the demo population has no 19xx person with an X check character')
  const id = p.idNumber
  const fullWidth = (s: string): string =>
    s.replace(/[0-9X]/g, (c) => (c === 'X' ? '\uff38' : String.fromCharCode(0xff10 + Number(c))))
  const forms: Array<[string, string]> = [
    ['canonical', id],
    ['full-width digits', fullWidth(id)],
    ['full-width digits, ASCII X', fullWidth(id.slice(0, 17)) + 'X'],
    ['lower-case x', id.slice(0, 17) + 'x'],
    ['full-width lower-case ｘ', id.slice(0, 17) + '\uff58'],
    ['surrounding U+3000', '\u3000' + id + '\u3000'],
    ['leading NBSP', '\u00a0' + id],
    ['trailing TAB', id + '\t'],
    ['surrounding spaces', '  ' + id + ' '],
    ['everything at once', '\t\u3000' + fullWidth(id.slice(0, 17)) + '\uff58\u00a0'],
    // GB 11643-1989: region, YYMMDD, sequence; no '19', no check character
    ['the 15-digit legacy form', id.slice(0, 6) + id.slice(8, 17)],
    ['the 15-digit legacy form, full-width', fullWidth(id.slice(0, 6) + id.slice(8, 17))]
  ]
  const questions = [
    { id: 'identity.name_matches' },
    { id: 'property.holds' },
    { id: 'tax.paid_in_year', params: { year: 2025 } },
    { id: 'insurance.active_on', params: { date: '2025-06-01' } }
  ]
  const results: string[] = []
  for (const [i, [what, idNumber]] of forms.entries()) {
    const res = await caller('POST', URL, {
      subject: { idNumber, name: p.name },
      questions,
      purpose: DEMO_PURPOSE,
      caseId: `DECORATED-${i}`
    })
    t.equal(res.statusCode, 200, `${what}: ${res.body}`)
    t.notOk(res.body.includes(id), what + ': the response does not carry the ID')
    results.push(
      JSON.stringify(res.json().answers.map((a: { question: string, answer: string }) => [a.question, a.answer]))
    )
  }
  t.equal(JSON.parse(results[0]!)[0][1], 'yes', 'the name matches the ID (so a wrong normalisation would answer no)')
  for (const [i, [what]] of forms.entries()) t.equal(results[i], results[0], what + ': the same answers')

  // Every entry of these verifications carries the same pseudonym: the canonical ID's.
  const pseudonym = keyring.audit.pseudonym(id)
  const rows = await database.query<{ case_id: string, subject: string }>(
    "select case_id, subject from audit_entries where case_id like 'DECORATED-%' and kind = 'answer'"
  )
  t.equal(rows.length, forms.length * questions.length)
  t.same([...new Set(rows.map((r) => r.subject))], [pseudonym], 'one pseudonym for every spelling')
  t.same(new Set(rows.map((r) => r.case_id)).size, forms.length)

  // and an auditor's subject search by any spelling finds all of them
  const search = await as(AUDITOR)('POST', '/v1/audit/subject-search', {
    idNumber: forms[10]![1],
    reason: 'decoration check'
  })
  t.equal(search.statusCode, 200, search.body)
  const found = search
    .json()
    .entries.filter(
      (e: { kind: string, caseId: string | null }) => e.kind === 'answer' && e.caseId?.startsWith('DECORATED-')
    )
  t.equal(found.length, forms.length * questions.length)
})

t.test('no input yields a 5xx (fast-check)', async (t) => {
  const runs = 250
  const statuses = new Set<number>()
  const send = async (b: unknown): Promise<LightMyRequestResponse> => {
    const res = await post(JSON.stringify(b) ?? 'null')
    statuses.add(res.statusCode)
    return res
  }
  const ok4xx = (res: LightMyRequestResponse): boolean =>
    res.statusCode < 500 &&
    (res.statusCode === 200 || res.headers['content-type'] === 'application/problem+json; charset=utf-8')

  await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (idNumber) => {
    const res = await send(body({ questions: [{ id: 'property.holds' }] }, { idNumber }))
    return ok4xx(res) && (res.statusCode === 200 || ['INVALID_ID_NUMBER', 'INVALID_BODY'].includes(res.json().code))
  }), { numRuns: runs })
  await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 80 }), async (name) => {
    const res = await send(body({ questions: [{ id: 'identity.name_matches' }] }, { name }))
    return ok4xx(res) && (res.statusCode === 200 || ['INVALID_NAME', 'INVALID_BODY'].includes(res.json().code))
  }), { numRuns: runs })
  await fc.assert(fc.asyncProperty(fc.jsonValue(), async (value) => {
    const a = await send(body({}, { idNumber: value }))
    const b = await send(body({}, { name: value }))
    return ok4xx(a) && ok4xx(b) && a.statusCode === 400
  }), { numRuns: runs })
  await fc.assert(fc.asyncProperty(fc.jsonValue(), async (value) => {
    const res = await send(value)
    return ok4xx(res) && res.statusCode === 400
  }), { numRuns: runs })
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: 'binary', maxLength: 64 }),
      fc.string({ unit: 'binary', maxLength: 64 }),
      async (caseId, purpose) => {
        const res = await send(body({ caseId, purpose }))
        return ok4xx(res)
      }
    ),
    { numRuns: runs }
  )
  t.ok(statuses.has(400), 'the properties reached refusals')
  t.notOk([...statuses].some((s) => s >= 500), `statuses seen: ${[...statuses].sort().join(', ')}`)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('admin registration errors store nothing', async (t) => {
  const admin = as(ADMIN)
  async function invalid (
    t: Test,
    what: string,
    url: string,
    sent: Record<string, unknown>,
    code: string,
    table: string
  ): Promise<void> {
    const rows = await count(table)
    const entries = await count('audit_entries')
    const res = await admin('POST', url, sent)
    t.equal(res.statusCode, 400, `${what}: status (${res.body})`)
    t.equal(res.json().code, code, what + ': code')
    t.equal(await count(table), rows, what + ': nothing stored in ' + table)
    t.equal(await count('audit_entries'), entries, what + ': no audit entry')
  }
  const question = (patch: Record<string, unknown>): Record<string, unknown> => ({
    id: 'q.new',
    connector: 'tax',
    title: 'A new question',
    ...patch
  })
  await invalid(
    t,
    'an unknown field in when',
    '/v1/questions',
    question({ when: { any: { salary: { gt: 0 } } } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'an unknown predicate in when',
    '/v1/questions',
    question({ when: { some: {} } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'an unknown operator in when',
    '/v1/questions',
    question({ when: { any: { year: { like: 2025 } } } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'gt on a string field',
    '/v1/questions',
    question({ connector: 'realestate', when: { any: { property_type: { gt: 5 } } } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'a string compared with an integer field',
    '/v1/questions',
    question({ when: { any: { year: { eq: '2025' } } } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'an undeclared param',
    '/v1/questions',
    question({ params: { year: 'integer' }, when: { any: { year: { eq: { param: 'yr' } } } } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'a param of the wrong type',
    '/v1/questions',
    question({ params: { year: 'string' }, when: { any: { year: { eq: { param: 'year' } } } } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(
    t,
    'an unknown connector',
    '/v1/questions',
    question({ connector: 'nowhere', when: { any: {} } }),
    'INVALID_DEFINITION',
    'questions'
  )
  await invalid(t, 'when missing', '/v1/questions', question({}), 'INVALID_BODY', 'questions')
  await invalid(
    t,
    'an unknown param type',
    '/v1/questions',
    question({ params: { year: 'bigint' }, when: { any: {} } }),
    'INVALID_BODY',
    'questions'
  )
  await invalid(
    t,
    'an unknown field in the question',
    '/v1/questions',
    question({ when: { any: {} }, active: true }),
    'UNKNOWN_FIELD',
    'questions'
  )

  const connector = (patch: Record<string, unknown>): Record<string, unknown> => ({
    id: 'conn.new',
    department: 'tax',
    title: 'A new connector',
    kind: 'file',
    subject: { field: 'id_number', type: 'cn_resident_id' },
    fields: [{ name: 'year', type: 'integer' }],
    ...patch
  })
  await invalid(
    t,
    'a field named and',
    '/v1/connectors',
    connector({ fields: [{ name: 'and', type: 'string' }] }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'a field named not',
    '/v1/connectors',
    connector({ fields: [{ name: 'not', type: 'boolean' }] }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'a duplicate field',
    '/v1/connectors',
    connector({
      fields: [
        { name: 'year', type: 'integer' },
        { name: 'year', type: 'string' }
      ]
    }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'the subject field in fields',
    '/v1/connectors',
    connector({ fields: [{ name: 'id_number', type: 'string' }] }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'a field name with capitals',
    '/v1/connectors',
    connector({ fields: [{ name: 'Year', type: 'integer' }] }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'a field name starting with a digit',
    '/v1/connectors',
    connector({ fields: [{ name: '1st', type: 'integer' }] }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'a subject field with capitals',
    '/v1/connectors',
    connector({ subject: { field: 'ID', type: 'cn_resident_id' } }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'an unknown department',
    '/v1/connectors',
    connector({ department: 'nowhere' }),
    'INVALID_DEFINITION',
    'connectors'
  )
  await invalid(
    t,
    'an invalid field type',
    '/v1/connectors',
    connector({ fields: [{ name: 'year', type: 'bigint' }] }),
    'INVALID_BODY',
    'connectors'
  )
  await invalid(
    t,
    'an invalid subject type',
    '/v1/connectors',
    connector({ subject: { field: 'id_number', type: 'passport' } }),
    'INVALID_BODY',
    'connectors'
  )
  await invalid(t, 'an invalid kind', '/v1/connectors', connector({ kind: 'sql' }), 'INVALID_BODY', 'connectors')
  await invalid(
    t,
    'a reject ratio above 1',
    '/v1/connectors',
    connector({ maxRejectRatio: 2 }),
    'INVALID_BODY',
    'connectors'
  )
  await invalid(
    t,
    'an unknown field in a field',
    '/v1/connectors',
    connector({ fields: [{ name: 'year', type: 'integer', index: true }] }),
    'UNKNOWN_FIELD',
    'connectors'
  )

  const BAD_IDS = [
    'Upper',
    '-lead',
    '.lead',
    '_lead',
    '',
    'a'.repeat(65),
    'a b',
    'a/b',
    'ü',
    'a:b',
    'a\u200b',
    'ａ',
    "a'; drop table clients;--"
  ]
  for (const id of BAD_IDS) {
    const label = JSON.stringify(id.length > 20 ? id.slice(0, 20) + '…' : id)
    await invalid(
      t,
      'department id ' + label,
      '/v1/departments',
      { id, name: 'A department' },
      'INVALID_BODY',
      'departments'
    )
    await invalid(t, 'connector id ' + label, '/v1/connectors', connector({ id }), 'INVALID_BODY', 'connectors')
    await invalid(
      t,
      'question id ' + label,
      '/v1/questions',
      question({ id, when: { any: {} } }),
      'INVALID_BODY',
      'questions'
    )
    await invalid(
      t,
      'client id ' + label,
      '/v1/clients',
      { id, name: 'A client', questions: ['property.holds'], purposes: ['x'] },
      'INVALID_BODY',
      'clients'
    )
    await invalid(
      t,
      'department of a connector ' + label,
      '/v1/connectors',
      connector({ department: id }),
      'INVALID_BODY',
      'connectors'
    )
    await invalid(
      t,
      'question of a client ' + label,
      '/v1/clients',
      { id: 'client.new', name: 'A client', questions: [id], purposes: ['x'] },
      'INVALID_BODY',
      'clients'
    )
  }
  // 64 characters is the longest valid id (the control)
  const longest = await admin('POST', '/v1/departments', { id: 'a'.repeat(64), name: 'Longest id' })
  t.equal(longest.statusCode, 201, longest.body)
  const good = await admin('POST', '/v1/questions', question({ when: { any: { year: { eq: 2025 } } } }))
  t.equal(good.statusCode, 201, good.body)
})
