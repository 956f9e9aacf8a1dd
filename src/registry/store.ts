/**
 * Registering departments, connectors, questions and clients (design §5). Every change is made in
 * one transaction with its audit entry (kind "change"), so a change is never without its entry.
 */
import { and, asc, eq } from 'drizzle-orm'
import type { Database, Executor } from '../db/client.ts'
import {
  clients, connectors, departments, purposes, questions,
  type AgentRef, type ClientRow, type ConnectorRow, type DepartmentRow, type FieldDef, type PurposeRow,
  type QuestionRow, type Quotas, type Titles
} from '../db/schema/index.ts'
import { writeEntries } from '../audit/writer.ts'
import type { JsonValue } from '../audit/entry.ts'
import { ShifouError } from '../errors.ts'
import { getSource, preparePull, saveSource, type PullInput, type Seal } from '../connectors/pull/store.ts'
import { actorOf, type Principal } from '../principal.ts'
import {
  checkConnectorFields, checkQuotas, compileQuestion, DEFAULT_MAX_RECORDS_PER_SUBJECT, DEFAULT_MAX_REJECT_RATIO,
  fieldTypes
} from './definitions.ts'

export interface RegistryDeps {
  database: Database
  /** Called after every committed change, to refresh the in-memory registry. */
  onChange: () => void
  /** Seals a pull connector's source URL (src/connectors/pull/secret.ts) */
  sealSource?: Seal
}

type Resource = 'department' | 'connector' | 'question' | 'client' | 'purpose'

async function run<T extends Record<string, unknown>> (
  tx: Executor,
  q: { toSQL(): { sql: string, params: unknown[] } }
): Promise<T[]> {
  const { sql, params } = q.toSQL()
  return await tx.query<T>(sql, params)
}

/** One change and its audit entry, atomically. */
async function change<T> (
  deps: RegistryDeps,
  actor: Principal,
  action: 'create' | 'update' | 'delete',
  resource: Resource,
  id: string,
  fn: (tx: Executor) => Promise<T>
): Promise<T> {
  const result = await deps.database.transaction(async (tx) => {
    const value = await fn(tx)
    const detail: Record<string, JsonValue> = { action, resource, id }
    await writeEntries(tx, [{ kind: 'change', actor: actorOf(actor), code: action.toUpperCase(), detail }])
    return value
  })
  deps.onChange()
  return result
}

/** Titles as stored: trimmed, empty ones dropped; none at all is null. */
export function checkTitles (titles: Titles | undefined): Titles | null {
  if (titles === undefined) return null
  const out: Titles = {}
  for (const lang of ['zh', 'en'] as const) {
    const t = titles[lang]?.trim()
    if (t !== undefined && t !== '') out[lang] = t
  }
  return out.zh === undefined && out.en === undefined ? null : out
}

export function assertDepartment (actor: Principal, departmentId: string): void {
  if (actor.role === 'admin') return
  if (actor.role === 'dept_admin' && actor.dept === departmentId) return
  throw new ShifouError('FORBIDDEN', 'This department is not yours to manage')
}

// ---- departments ------------------------------------------------------------------------------

export async function createDepartment (
  deps: RegistryDeps,
  actor: Principal,
  input: { id: string, name: string }
): Promise<DepartmentRow> {
  return await change(deps, actor, 'create', 'department', input.id, async (tx) => {
    const rows = await run<DepartmentRow>(tx, deps.database.db.insert(departments)
      .values(input)
      .onConflictDoNothing()
      .returning({ id: departments.id }))
    if (rows.length === 0) throw new ShifouError('CONFLICT', 'A department with this id exists')
    return await getDepartmentIn(deps, tx, input.id)
  })
}

async function getDepartmentIn (deps: RegistryDeps, tx: Executor, id: string): Promise<DepartmentRow> {
  const [row] = await run<Record<string, unknown>>(tx, deps.database.db.select()
    .from(departments)
    .where(eq(departments.id, id)))
  if (row === undefined) throw new ShifouError('NOT_FOUND', 'No such department')
  return {
    id: row.id as string,
    name: row.name as string,
    active: row.active as boolean,
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string)
  }
}

export async function updateDepartment (
  deps: RegistryDeps,
  actor: Principal,
  id: string,
  input: { name: string }
): Promise<DepartmentRow> {
  return await change(deps, actor, 'update', 'department', id, async (tx) => {
    const rows = await run(tx, deps.database.db.update(departments)
      .set({ name: input.name, updatedAt: new Date() })
      .where(eq(departments.id, id))
      .returning({ id: departments.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such department')
    return await getDepartmentIn(deps, tx, id)
  })
}

export async function deactivateDepartment (deps: RegistryDeps, actor: Principal, id: string): Promise<void> {
  await change(deps, actor, 'delete', 'department', id, async (tx) => {
    const active = await run(tx, deps.database.db.select({ id: connectors.id })
      .from(connectors)
      .where(and(eq(connectors.departmentId, id), eq(connectors.active, true))))
    if (active.length > 0) throw new ShifouError('CONFLICT', 'The department still has active connectors')
    const rows = await run(tx, deps.database.db.update(departments)
      .set({ active: false, updatedAt: new Date() })
      .where(eq(departments.id, id))
      .returning({ id: departments.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such department')
  })
}

export async function listDepartments (database: Database): Promise<DepartmentRow[]> {
  return await database.db.select().from(departments).orderBy(asc(departments.id))
}

// ---- connectors -------------------------------------------------------------------------------

export interface ConnectorInput extends PullInput {
  id: string
  department: string
  title: string
  /** the title in Chinese and English (design §14.4) */
  titles?: Titles
  kind: 'file' | 'pull' | 'agent'
  /** kind agent only: where its agent is asked */
  agent?: AgentRef
  subject: { field: string, type: 'cn_resident_id', column?: string }
  fields: FieldDef[]
  maxRejectRatio?: number
  /** days an active snapshot answers for (design §14.2 "Freshness"); null removes the limit */
  maxAgeDays?: number | null
  /** rows of one subject a snapshot may hold (design §14.1 "Bounded lookups"); default 1,000 */
  maxRecordsPerSubject?: number
}

/** Fields as stored: `column` kept only when given (design §14.1: the default is the field's name). */
function storedFields (fields: readonly FieldDef[]): FieldDef[] {
  return fields.map((f) => f.column === undefined
    ? { name: f.name, type: f.type }
    : { name: f.name, type: f.type, column: f.column })
}

export async function createConnector (
  deps: RegistryDeps,
  actor: Principal,
  input: ConnectorInput
): Promise<ConnectorRow> {
  assertDepartment(actor, input.department)
  checkConnectorFields(input)
  checkAgent(input)
  checkTitles(input.titles)
  const pull = preparePull(input.id, input, null, deps.sealSource)
  return await change(deps, actor, 'create', 'connector', input.id, async (tx) => {
    const dept = await run<{ active: boolean }>(tx, deps.database.db.select({ active: departments.active })
      .from(departments)
      .where(eq(departments.id, input.department)))
    if (dept.length === 0 || dept[0]!.active !== true) {
      throw new ShifouError('INVALID_DEFINITION', 'No such active department')
    }
    const rows = await run(tx, deps.database.db.insert(connectors).values({
      id: input.id,
      departmentId: input.department,
      title: input.title,
      titles: checkTitles(input.titles),
      kind: input.kind,
      subjectField: input.subject.field,
      subjectType: input.subject.type,
      subjectColumn: input.subject.column ?? null,
      fields: storedFields(input.fields),
      maxRejectRatio: input.maxRejectRatio ?? DEFAULT_MAX_REJECT_RATIO,
      maxAgeDays: input.maxAgeDays ?? null,
      maxRecordsPerSubject: input.maxRecordsPerSubject ?? DEFAULT_MAX_RECORDS_PER_SUBJECT,
      agent: input.agent ?? null
    }).onConflictDoNothing().returning({ id: connectors.id }))
    if (rows.length === 0) throw new ShifouError('CONFLICT', 'A connector with this id exists')
    if (pull !== null) await saveSource(tx, input.id, pull)
    return await getConnectorIn(deps.database, tx, input.id)
  })
}

/** An agent connector names its agent; no other kind does. */
function checkAgent (input: Pick<ConnectorInput, 'kind' | 'agent'>): void {
  if (input.kind === 'agent' && input.agent === undefined) {
    throw new ShifouError('INVALID_DEFINITION', 'A connector of kind agent needs agent: {url, publicKey} ' +
      '(the key is printed by shifou agent public-key at the department)')
  }
  if (input.kind !== 'agent' && input.agent !== undefined) {
    throw new ShifouError('INVALID_DEFINITION', 'agent is given only for a connector of kind agent')
  }
}

export async function getConnectorIn (database: Database, tx: Executor, id: string): Promise<ConnectorRow> {
  const [row] = await run<ConnectorRow>(tx, database.db.select({
    id: connectors.id,
    departmentId: connectors.departmentId,
    title: connectors.title,
    titles: connectors.titles,
    kind: connectors.kind,
    subjectField: connectors.subjectField,
    subjectType: connectors.subjectType,
    subjectColumn: connectors.subjectColumn,
    fields: connectors.fields,
    maxRejectRatio: connectors.maxRejectRatio,
    maxAgeDays: connectors.maxAgeDays,
    maxRecordsPerSubject: connectors.maxRecordsPerSubject,
    keyVersion: connectors.keyVersion,
    activeSnapshotId: connectors.activeSnapshotId,
    agent: connectors.agent,
    active: connectors.active,
    createdAt: connectors.createdAt,
    updatedAt: connectors.updatedAt
  }).from(connectors).where(eq(connectors.id, id)))
  if (row === undefined) throw new ShifouError('NOT_FOUND', 'No such connector')
  const r = row as unknown as Record<string, unknown>
  return {
    id: r.id as string,
    departmentId: r.department_id as string,
    title: r.title as string,
    titles: (r.titles as Titles | null) ?? null,
    kind: r.kind as string,
    subjectField: r.subject_field as string,
    subjectType: r.subject_type as string,
    subjectColumn: (r.subject_column as string | null) ?? null,
    fields: r.fields as FieldDef[],
    maxRejectRatio: Number(r.max_reject_ratio),
    maxAgeDays: r.max_age_days === null ? null : Number(r.max_age_days),
    maxRecordsPerSubject: Number(r.max_records_per_subject),
    keyVersion: r.key_version === null ? null : Number(r.key_version),
    activeSnapshotId: r.active_snapshot_id === null ? null : Number(r.active_snapshot_id),
    agent: (r.agent as AgentRef | null) ?? null,
    active: r.active as boolean,
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string)
  }
}

export async function getConnector (database: Database, id: string): Promise<ConnectorRow> {
  return await getConnectorIn(database, database, id)
}

/** Replaces a connector's title, reject ratio and fields; fields used by questions must stay. */
export async function updateConnector (
  deps: RegistryDeps,
  actor: Principal,
  id: string,
  input: Omit<ConnectorInput, 'id'>
): Promise<ConnectorRow> {
  const current = await getConnector(deps.database, id)
  assertDepartment(actor, current.departmentId)
  if (input.department !== current.departmentId) {
    throw new ShifouError('INVALID_DEFINITION', 'A connector cannot move to another department')
  }
  if (input.subject.field !== current.subjectField || input.subject.type !== current.subjectType) {
    throw new ShifouError('INVALID_DEFINITION', 'The subject of a connector cannot change')
  }
  if (input.kind !== current.kind) throw new ShifouError('INVALID_DEFINITION', 'The kind of a connector cannot change')
  checkConnectorFields(input)
  const pull = preparePull(id, input, input.kind === 'pull' ? await getSource(deps.database, id) : null,
    deps.sealSource)
  checkAgent(input)
  return await change(deps, actor, 'update', 'connector', id, async (tx) => {
    const used = await run<{ id: string, when: unknown, params: Record<string, string> }>(tx, deps.database.db
      .select({ id: questions.id, when: questions.when, params: questions.params })
      .from(questions)
      .where(and(eq(questions.connectorId, id), eq(questions.active, true))))
    for (const q of used) {
      try {
        compileQuestion(q.when, input.fields, q.params)
      } catch {
        throw new ShifouError('CONFLICT', `Question ${q.id} uses a field this change removes or retypes`)
      }
    }
    await run(tx, deps.database.db.update(connectors).set({
      title: input.title,
      titles: checkTitles(input.titles),
      subjectColumn: input.subject.column ?? null,
      fields: storedFields(input.fields),
      maxRejectRatio: input.maxRejectRatio ?? current.maxRejectRatio,
      maxAgeDays: input.maxAgeDays === undefined ? current.maxAgeDays : input.maxAgeDays,
      maxRecordsPerSubject: input.maxRecordsPerSubject ?? current.maxRecordsPerSubject,
      agent: input.agent ?? null,
      updatedAt: new Date()
    }).where(eq(connectors.id, id)))
    if (pull !== null) await saveSource(tx, id, pull)
    return await getConnectorIn(deps.database, tx, id)
  })
}

export async function deactivateConnector (deps: RegistryDeps, actor: Principal, id: string): Promise<void> {
  const current = await getConnector(deps.database, id)
  assertDepartment(actor, current.departmentId)
  await change(deps, actor, 'delete', 'connector', id, async (tx) => {
    const used = await run(tx, deps.database.db.select({ id: questions.id })
      .from(questions)
      .where(and(eq(questions.connectorId, id), eq(questions.active, true))))
    if (used.length > 0) throw new ShifouError('CONFLICT', 'Active questions use this connector')
    await run(tx, deps.database.db.update(connectors)
      .set({ active: false, updatedAt: new Date() })
      .where(eq(connectors.id, id)))
  })
}

export async function listConnectors (database: Database, actor: Principal): Promise<ConnectorRow[]> {
  const all = await database.db.select().from(connectors).orderBy(asc(connectors.id))
  return actor.role === 'admin' ? all : all.filter((c) => c.departmentId === actor.dept)
}

// ---- questions --------------------------------------------------------------------------------

export interface QuestionInput {
  id: string
  connector: string
  title: string
  /** the title in Chinese and English (design §14.4) */
  titles?: Titles
  description?: string
  params?: Record<string, string>
  when: unknown
  /** asked only with a consent token of the subject (src/consent) */
  requiresConsent?: boolean
}

async function checkQuestion (database: Database, tx: Executor, input: Omit<QuestionInput, 'id'>): Promise<void> {
  let connector: ConnectorRow
  try {
    connector = await getConnectorIn(database, tx, input.connector)
  } catch {
    throw new ShifouError('INVALID_DEFINITION', 'No such connector')
  }
  if (!connector.active) throw new ShifouError('INVALID_DEFINITION', 'The connector is not active')
  compileQuestion(input.when, connector.fields, input.params ?? {})
}

export async function createQuestion (deps: RegistryDeps, actor: Principal, input: QuestionInput): Promise<void> {
  await change(deps, actor, 'create', 'question', input.id, async (tx) => {
    await checkQuestion(deps.database, tx, input)
    const rows = await run(tx, deps.database.db.insert(questions).values({
      id: input.id,
      connectorId: input.connector,
      title: input.title,
      titles: checkTitles(input.titles),
      description: input.description ?? '',
      params: input.params ?? {},
      when: input.when,
      requiresConsent: input.requiresConsent ?? false
    }).onConflictDoNothing().returning({ id: questions.id }))
    if (rows.length === 0) throw new ShifouError('CONFLICT', 'A question with this id exists')
  })
}

export async function updateQuestion (
  deps: RegistryDeps,
  actor: Principal,
  id: string,
  input: Omit<QuestionInput, 'id'>
): Promise<void> {
  await change(deps, actor, 'update', 'question', id, async (tx) => {
    await checkQuestion(deps.database, tx, input)
    const rows = await run(tx, deps.database.db.update(questions).set({
      connectorId: input.connector,
      title: input.title,
      titles: checkTitles(input.titles),
      description: input.description ?? '',
      params: input.params ?? {},
      when: input.when,
      requiresConsent: input.requiresConsent ?? false,
      active: true,
      updatedAt: new Date()
    }).where(eq(questions.id, id)).returning({ id: questions.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such question')
  })
}

export async function deactivateQuestion (deps: RegistryDeps, actor: Principal, id: string): Promise<void> {
  await change(deps, actor, 'delete', 'question', id, async (tx) => {
    const rows = await run(tx, deps.database.db.update(questions)
      .set({ active: false, updatedAt: new Date() })
      .where(eq(questions.id, id))
      .returning({ id: questions.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such question')
  })
}

export async function listQuestions (database: Database): Promise<QuestionRow[]> {
  return await database.db.select().from(questions).orderBy(asc(questions.id))
}

export { fieldTypes }

// ---- clients ----------------------------------------------------------------------------------

export interface ClientInput {
  id: string
  name: string
  organisation?: string
  questions: string[]
  purposes: string[]
  quotas?: Partial<Quotas>
  confidential?: boolean
  autoSuspend?: boolean
  /** a confidential client appears in a citizen's access log only this long after asking */
  disclosureDelaySeconds?: number
}

/** A disclosure delay means something only for a confidential client: refuse it elsewhere rather than ignore it. */
function checkDisclosure (input: { confidential?: boolean, disclosureDelaySeconds?: number }): number {
  const delay = input.disclosureDelaySeconds ?? 0
  if (delay > 0 && input.confidential !== true) {
    throw new ShifouError('INVALID_DEFINITION', 'disclosureDelaySeconds applies to confidential clients only')
  }
  return delay
}

async function checkClientQuestions (database: Database, tx: Executor, ids: readonly string[]): Promise<void> {
  const rows = await run<{ id: string }>(tx, database.db.select({ id: questions.id }).from(questions))
  const known = new Set(rows.map((r) => r.id))
  const unknown = ids.filter((id) => !known.has(id))
  if (unknown.length > 0) throw new ShifouError('INVALID_DEFINITION', 'Unknown questions: ' + unknown.join(', '))
}

export async function createClient (deps: RegistryDeps, actor: Principal, input: ClientInput): Promise<void> {
  const disclosureDelaySeconds = checkDisclosure(input)
  await change(deps, actor, 'create', 'client', input.id, async (tx) => {
    await checkClientQuestions(deps.database, tx, input.questions)
    const rows = await run(tx, deps.database.db.insert(clients).values({
      id: input.id,
      name: input.name,
      organisation: input.organisation ?? null,
      questions: [...new Set(input.questions)],
      purposes: [...new Set(input.purposes)],
      quotas: checkQuotas(input.quotas),
      confidential: input.confidential ?? false,
      autoSuspend: input.autoSuspend ?? false,
      disclosureDelaySeconds
    }).onConflictDoNothing().returning({ id: clients.id }))
    if (rows.length === 0) throw new ShifouError('CONFLICT', 'A client with this id exists')
  })
}

export async function updateClient (
  deps: RegistryDeps,
  actor: Principal,
  id: string,
  input: Omit<ClientInput, 'id'> & { active?: boolean }
): Promise<void> {
  const disclosureDelaySeconds = checkDisclosure(input)
  await change(deps, actor, 'update', 'client', id, async (tx) => {
    await checkClientQuestions(deps.database, tx, input.questions)
    const rows = await run(tx, deps.database.db.update(clients).set({
      name: input.name,
      organisation: input.organisation ?? null,
      questions: [...new Set(input.questions)],
      purposes: [...new Set(input.purposes)],
      quotas: checkQuotas(input.quotas),
      confidential: input.confidential ?? false,
      autoSuspend: input.autoSuspend ?? false,
      disclosureDelaySeconds,
      active: input.active ?? true,
      updatedAt: new Date()
    }).where(eq(clients.id, id)).returning({ id: clients.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such client')
  })
}

/** Changes a client's limits (and whether detectors may suspend it); an audit entry records the new values. */
export async function setClientLimits (
  deps: RegistryDeps,
  actor: Principal,
  id: string,
  input: { quotas: Partial<Quotas>, autoSuspend?: boolean }
): Promise<void> {
  const quotas = checkQuotas(input.quotas)
  const result = await deps.database.transaction(async (tx) => {
    const rows = await run(tx, deps.database.db.update(clients).set({
      quotas,
      ...(input.autoSuspend === undefined ? {} : { autoSuspend: input.autoSuspend }),
      updatedAt: new Date()
    }).where(eq(clients.id, id)).returning({ id: clients.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such client')
    const detail: Record<string, JsonValue> = { action: 'update', resource: 'client-limits', id, quotas: { ...quotas } }
    if (input.autoSuspend !== undefined) detail.autoSuspend = input.autoSuspend
    await writeEntries(tx, [{ kind: 'change', actor: actorOf(actor), code: 'UPDATE', detail }])
  })
  deps.onChange()
  return result
}

export async function deactivateClient (deps: RegistryDeps, actor: Principal, id: string): Promise<void> {
  await change(deps, actor, 'delete', 'client', id, async (tx) => {
    const rows = await run(tx, deps.database.db.update(clients)
      .set({ active: false, updatedAt: new Date() })
      .where(eq(clients.id, id))
      .returning({ id: clients.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such client')
  })
}

export async function listClients (database: Database): Promise<ClientRow[]> {
  return await database.db.select().from(clients).orderBy(asc(clients.id))
}

export async function getClient (database: Database, id: string): Promise<ClientRow> {
  const [row] = await database.db.select().from(clients).where(eq(clients.id, id))
  if (row === undefined) throw new ShifouError('NOT_FOUND', 'No such client')
  return row
}

// ---- purposes ---------------------------------------------------------------------------------

/** Registers a purpose code with its titles (design §14.4); clients may list codes not registered. */
export async function createPurpose (
  deps: RegistryDeps,
  actor: Principal,
  input: { id: string, titles: Titles }
): Promise<PurposeRow> {
  const titles = checkTitles(input.titles)
  if (titles === null) throw new ShifouError('INVALID_DEFINITION', 'titles needs zh or en')
  return await change(deps, actor, 'create', 'purpose', input.id, async (tx) => {
    const rows = await run<Record<string, unknown>>(tx, deps.database.db.insert(purposes)
      .values({ id: input.id, titles })
      .onConflictDoNothing()
      .returning({ id: purposes.id, createdAt: purposes.createdAt, updatedAt: purposes.updatedAt }))
    if (rows.length === 0) throw new ShifouError('CONFLICT', 'A purpose with this id exists')
    const at = new Date(rows[0]!.created_at as string)
    return { id: input.id, titles, createdAt: at, updatedAt: at }
  })
}

/** Changes a registered purpose's titles. */
export async function updatePurpose (
  deps: RegistryDeps,
  actor: Principal,
  id: string,
  input: { titles: Titles }
): Promise<void> {
  const titles = checkTitles(input.titles)
  if (titles === null) throw new ShifouError('INVALID_DEFINITION', 'titles needs zh or en')
  await change(deps, actor, 'update', 'purpose', id, async (tx) => {
    const rows = await run(tx, deps.database.db.update(purposes)
      .set({ titles, updatedAt: new Date() })
      .where(eq(purposes.id, id))
      .returning({ id: purposes.id }))
    if (rows.length === 0) throw new ShifouError('NOT_FOUND', 'No such purpose')
  })
}

export async function listPurposes (database: Database): Promise<PurposeRow[]> {
  return await database.db.select().from(purposes).orderBy(asc(purposes.id))
}
