/**
 * The demo (design §13): four departments with a few thousand synthetic people, the example
 * questions of design §6, and a demo caller. Registered and loaded through the same domain
 * functions the API uses, so every step is in the audit log.
 */
import { Readable } from 'node:stream'
import type { Database } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import type { Principal } from '../principal.ts'
import {
  createClient, createConnector, createDepartment, createPurpose, createQuestion, getConnector,
  type QuestionInput, type RegistryDeps
} from '../registry/store.ts'
import { loadSnapshot } from '../connectors/load.ts'
import { householdCsv, makePeople, realEstateCsv, socialCsv, taxCsv, type Person } from './population.ts'

export const DEMO_CLIENT = 'demo-housing'
export const DEMO_PURPOSE = 'housing-subsidy'
/** The demo's purposes, registered with their titles (design §14.4). */
export const DEMO_PURPOSES = [
  { id: DEMO_PURPOSE, titles: { zh: '住房补贴申请', en: 'Housing subsidy application' } },
  { id: 'public-rental-flat', titles: { zh: '公共租赁住房申请', en: 'Public rental housing application' } }
]
const ADMIN: Principal = { sub: 'demo-setup', role: 'admin' }

export const DEMO_QUESTIONS: QuestionInput[] = [
  {
    id: 'property.holds',
    connector: 'realestate',
    title: 'Holds registered property',
    titles: { zh: '名下有登记的不动产', en: 'Holds registered property' },
    when: { any: {} }
  },
  {
    id: 'property.none',
    connector: 'realestate',
    title: 'Holds no registered property',
    titles: { zh: '名下无登记的不动产', en: 'Holds no registered property' },
    description: 'Yes also for an ID that no department knows: pair it with identity.name_matches.',
    when: { not: { any: {} } }
  },
  {
    id: 'tax.paid_in_year',
    connector: 'tax',
    title: 'Paid personal income tax in a year',
    titles: { zh: '已缴纳某年度个人所得税', en: 'Paid personal income tax in a year' },
    params: { year: 'integer' },
    when: { any: { year: { eq: { param: 'year' } }, amount: { gt: 0 } } }
  },
  {
    id: 'income.at_least',
    connector: 'tax',
    title: 'Taxed income in a year at least a minimum',
    titles: { zh: '某年度计税收入不低于限额', en: 'Taxed income in a year at least a minimum' },
    params: { year: 'integer', min: 'number' },
    when: { sum: { field: 'amount', where: { year: { eq: { param: 'year' } } }, gte: { param: 'min' } } }
  },
  {
    id: 'insurance.active_on',
    connector: 'social',
    title: 'Enrolled in social insurance on a date',
    titles: { zh: '某日处于社会保险参保状态', en: 'Enrolled in social insurance on a date' },
    params: { date: 'date' },
    when: {
      any: { start: { lte: { param: 'date' } }, or: [{ end: { eq: null } }, { end: { gte: { param: 'date' } } }] }
    }
  },
  {
    id: 'identity.name_matches',
    connector: 'household',
    title: 'The ID number belongs to this name',
    titles: { zh: '姓名与身份证号码一致', en: 'The ID number belongs to this name' },
    when: { any: { name: { eq: { subject: 'name' } } } }
  }
]

const CONNECTORS = [
  {
    dept: { id: 'realestate', name: 'Real Estate Registration Bureau' },
    id: 'realestate',
    title: 'Registered real estate',
    titles: { zh: '不动产登记', en: 'Registered real estate' },
    fields: [
      { name: 'property_type', type: 'string' },
      { name: 'area', type: 'number' },
      { name: 'registered_on', type: 'date' }
    ],
    csv: realEstateCsv
  },
  {
    dept: { id: 'tax', name: 'Tax Bureau' },
    id: 'tax',
    title: 'Personal income tax paid',
    titles: { zh: '个人所得税缴纳', en: 'Personal income tax paid' },
    fields: [{ name: 'year', type: 'integer' }, { name: 'amount', type: 'number' }],
    csv: taxCsv
  },
  {
    dept: { id: 'social', name: 'Human Resources and Social Security Bureau' },
    id: 'social',
    title: 'Social insurance enrolment',
    titles: { zh: '社会保险参保', en: 'Social insurance enrolment' },
    fields: [{ name: 'scheme', type: 'string' }, { name: 'start', type: 'date' }, { name: 'end', type: 'date' }],
    csv: socialCsv
  },
  {
    dept: { id: 'household', name: 'Public Security Bureau (household registration)' },
    id: 'household',
    title: 'Household registration',
    titles: { zh: '户籍登记', en: 'Household registration' },
    fields: [{ name: 'name', type: 'name' }],
    csv: householdCsv
  }
] as const

export interface DemoResult { people: Person[] }

export async function isDemoLoaded (database: Database): Promise<boolean> {
  const rows = await database.query('select 1 from departments limit 1')
  return rows.length > 0
}

export async function loadDemo (
  database: Database,
  keyring: Keyring,
  count = 3000,
  onStep?: (step: string) => void
): Promise<DemoResult> {
  const deps: RegistryDeps = { database, onChange: () => {} }
  const people = makePeople(count, 2026)
  const asOf = new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
  for (const c of CONNECTORS) {
    onStep?.(`department ${c.dept.id}`)
    await createDepartment(deps, ADMIN, c.dept)
    await createConnector(deps, ADMIN, {
      id: c.id,
      department: c.dept.id,
      title: c.title,
      titles: { ...c.titles },
      kind: 'file',
      subject: { field: 'id_number', type: 'cn_resident_id' },
      fields: c.fields.map((f) => ({ ...f }))
    })
    const connector = await getConnector(database, c.id)
    const input = Readable.from(c.csv(people))
    const result = await loadSnapshot({ database, keyring, actor: ADMIN, connector, asOf, format: 'csv', input })
    onStep?.(`loaded ${c.id}: ${result.rows} rows, ${result.subjects} subjects`)
  }
  for (const q of DEMO_QUESTIONS) await createQuestion(deps, ADMIN, q)
  for (const p of DEMO_PURPOSES) await createPurpose(deps, ADMIN, p)
  await createClient(deps, ADMIN, {
    id: DEMO_CLIENT,
    name: 'Demo housing subsidy approval system',
    organisation: 'demo-housing-bureau',
    questions: DEMO_QUESTIONS.map((q) => q.id),
    purposes: DEMO_PURPOSES.map((p) => p.id)
  })
  return { people }
}
