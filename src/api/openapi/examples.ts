/** Example values shared by the catalogue's operations: the demo's names, one synthetic person. */

/** The demo's first synthetic person (src/demo/population.ts): a valid but invented ID number. */
export const ID_NUMBER = '330106196611226613'
export const NAME = '朱霞强'
export const AT = '2026-03-02T09:15:04.512Z'
export const AS_OF = '2026-03-01'
export const VERIFICATION_ID = '0195f6a2-8c1e-7b3a-9d4f-2e6c1a7b5d90'
export const CASE_ID = '穗住保〔2026〕0001号'
export const PURPOSE = 'housing-subsidy'
export const CLIENT = 'demo-housing'
export const ORIGIN = 'shifou.example.gov.cn/audit'
export const PSEUDONYM = '6b1f0c3e9a4d27f58e2c1b0a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e'
export const LEAF_HASH = 'Yk3r0c8hQ2mXJq4ZtT1s6Z0p3v7Wm9bQ2Yf4yH0n1kE='
/** A compact JWS shaped like a receipt (the signature is not real). */
export const RECEIPT = 'eyJhbGciOiJFZERTQSIsImtpZCI6Ik1qQXlOaTB3TXkwd01RIiwidHlwIjoic2hpZm91LXJlY2VpcHQrand0In0.' +
  'eyJpc3MiOiJzaGlmb3UuZXhhbXBsZS5nb3YuY24iLCJxIjoicHJvcGVydHkuaG9sZHMiLCJhIjoibm8ifQ.' +
  'c2lnbmF0dXJlLW9mLXRoZS1yZWNlaXB0LWtleS1ub3QtcmVhbC1pbi10aGlzLWV4YW1wbGUtMDEyMzQ1Njc4OQ'
export const NONCE = 'q1w2e3r4t5y6u7i8o9p0Aw'

export const snapshot = {
  id: 12,
  connector: 'realestate',
  status: 'active',
  rows: 2998,
  subjects: 2310,
  rejectedCount: 2,
  rejectedByCode: { INVALID_ID_NUMBER: 1, INVALID_VALUE: 1 },
  rejected: [
    { line: 17, field: 'id_number', code: 'INVALID_ID_NUMBER', reason: 'the check digit does not match' },
    { line: 205, field: 'area', code: 'INVALID_VALUE', reason: 'a number is expected, such as 89.5' }
  ],
  unreadableSubjects: 1,
  unlinkableRows: 1,
  ignoredColumns: ['remarks'],
  asOf: AS_OF,
  actor: 'steward-realestate',
  startedAt: '2026-03-02T01:00:00.000Z',
  finishedAt: '2026-03-02T01:00:04.210Z',
  loadedAt: '2026-03-02T01:00:04.210Z',
  error: null
}

export const connectorBody = {
  id: 'realestate',
  department: 'realestate',
  title: 'Registered real estate',
  titles: { zh: '不动产登记', en: 'Registered real estate' },
  kind: 'file',
  subject: { field: 'id_number', type: 'cn_resident_id', column: '身份证号码' },
  fields: [
    { name: 'property_type', type: 'string', column: '房屋类型' },
    { name: 'area', type: 'number', column: '建筑面积' },
    { name: 'registered_on', type: 'date', column: '登记日期' }
  ],
  maxRejectRatio: 0.01,
  maxAgeDays: 35,
  maxRecordsPerSubject: 1000
}

export const connector = {
  ...connectorBody,
  maxRejectRatio: 0.01,
  active: true,
  activeSnapshot: snapshot,
  health: {
    status: 'fresh',
    activeSnapshot: snapshot.id,
    asOf: snapshot.asOf,
    ageDays: 4,
    maxAgeDays: 35,
    stale: false,
    rows: snapshot.rows,
    lastLoad: { snapshot: snapshot.id, status: 'active', finishedAt: snapshot.finishedAt }
  },
  createdAt: '2026-02-20T08:00:00.000Z',
  updatedAt: '2026-02-20T08:00:00.000Z'
}

export const department = {
  id: 'realestate',
  name: 'Real Estate Registration Bureau',
  active: true,
  createdAt: '2026-02-20T08:00:00.000Z',
  updatedAt: '2026-02-20T08:00:00.000Z'
}

export const questionBody = {
  id: 'income.at_least',
  connector: 'tax',
  title: 'Taxed income in a year at least a minimum',
  titles: { zh: '某年度计税收入不低于限额', en: 'Taxed income in a year at least a minimum' },
  description: 'Yes when the income taxed in `year` adds up to at least `min` yuan.',
  params: { year: 'integer', min: 'number' },
  when: { sum: { field: 'amount', where: { year: { eq: { param: 'year' } } }, gte: { param: 'min' } } }
}

export const quotas = { requestsPerMinute: 600, subjectsPerDay: 500, subjectsPerCase: 20, namesPerSubjectPerDay: 3 }

export const clientBody = {
  id: CLIENT,
  name: 'Demo housing subsidy approval system',
  organisation: 'demo-housing-bureau',
  questions: ['property.none', 'income.at_least', 'identity.name_matches'],
  purposes: [PURPOSE, 'public-rental-flat'],
  quotas
}

export const client = {
  ...clientBody,
  confidential: false,
  autoSuspend: false,
  disclosureDelaySeconds: 0,
  active: true
}

export const entry = {
  index: 4711,
  at: AT,
  kind: 'answer',
  actor: { sub: CLIENT, role: 'caller' },
  caller: CLIENT,
  question: 'property.none',
  params: null,
  purpose: PURPOSE,
  caseId: CASE_ID,
  answer: 'yes',
  code: null,
  subject: PSEUDONYM,
  verification: VERIFICATION_ID,
  snapshot: 12,
  asOf: AS_OF,
  keyVersion: 1,
  norm: 'n1',
  consent: null,
  receiptKid: 'MjAyNi0wMy0wMQ',
  detail: null
}

export const checkpointNote = `${ORIGIN}\n4712\nq6Z0uN2y4wQ3oS1bT8mF5kV7xJ9cR2hD4gL6pA8eW0s=\n\n` +
  `— ${ORIGIN} Az3Rb1cE2dF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4cD5eF6gH7iJ8kL9mN0oP1qR2sT3uV4w==\n`

/** The example without one of its members (an update body is the creation body without its id). */
export function without<T extends Record<string, unknown>> (value: T, key: keyof T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key))
}

export const purpose = {
  id: 'housing-subsidy',
  titles: { zh: '住房补贴申请', en: 'Housing subsidy application' },
  createdAt: '2026-02-20T08:00:00.000Z',
  updatedAt: '2026-02-20T08:00:00.000Z'
}
