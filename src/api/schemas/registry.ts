/** Schemas of the admin and department-admin routes (design §5). */
import { Type } from '@fastify/type-provider-typebox'
import { DateOnly, Id, Instant, Strict } from './common.ts'

export const FieldType = Type.Union(
  ['string', 'integer', 'number', 'boolean', 'date', 'name', 'hashed'].map((t) => Type.Literal(t)))
export const ParamType = Type.Union(['string', 'integer', 'number', 'boolean', 'date'].map((t) => Type.Literal(t)))
const Title = Type.String({ minLength: 1, maxLength: 200 })
/** A title in Chinese and English (design §14.4): what pages, certificates and the access log show. */
export const Titles = Type.Object({
  zh: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Chinese title, e.g. 名下无登记房产' })),
  en: Type.Optional(Type.String({ minLength: 1, maxLength: 200 }))
}, { ...Strict, minProperties: 1, description: 'The title in Chinese (zh) and English (en); one of them at least' })
const TitlesOut = Type.Union([
  Type.Object({ zh: Type.Optional(Type.String()), en: Type.Optional(Type.String()) }), Type.Null()
], { description: 'the titles in Chinese and English, null when none were given' })

export const DepartmentBody = Type.Object({ id: Id, name: Title }, Strict)
export const DepartmentUpdate = Type.Object({ name: Title }, Strict)
export const Department = Type.Object({
  id: Type.String(),
  name: Type.String(),
  active: Type.Boolean(),
  createdAt: Instant,
  updatedAt: Instant
})

const Column = Type.String({
  minLength: 1,
  maxLength: 400,
  description: 'The file\'s header for this column (any Unicode text, matched after trimming spaces and NFC); ' +
    'default the field\'s name'
})
export const FieldDef = Type.Object({
  name: Type.String({ maxLength: 63 }),
  type: FieldType,
  column: Type.Optional(Column)
}, Strict)
export const AgentRefSchema = Type.Object({
  url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 500, description: 'the agent\'s base URL' }),
  publicKey: Type.String({
    pattern: '^[A-Za-z0-9_-]{43}$',
    description: 'the agent\'s Ed25519 public key, base64url of 32 bytes (shifou agent public-key)'
  })
}, Strict)
const Engine = Type.Union([Type.Literal('postgres'), Type.Literal('mysql')], {
  description: 'postgres: PostgreSQL, openGauss, KingbaseES, PolarDB; mysql: MySQL, MariaDB, TiDB, OceanBase'
})
const SourceBody = Type.Object({
  engine: Engine,
  url: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 2000,
    writeOnly: true,
    description: 'postgres://user:password@host:5432/database or mysql://…; write-only: stored encrypted, ' +
      'never returned. Required at registration; left out of an update, the stored one stays'
  })),
  query: Type.String({
    minLength: 1,
    maxLength: 20000,
    description: 'one SELECT (or `select * from a_view`); its result columns map to fields by `column` (or `name`)'
  })
}, Strict)
const Schedule = Type.String({
  minLength: 1,
  maxLength: 200,
  description: '5-field cron (minute hour day-of-month month day-of-week) in China Standard Time, e.g. "30 2 * * *"'
})
export const ConnectorBody = Type.Object({
  id: Id,
  department: Id,
  title: Title,
  titles: Type.Optional(Titles),
  kind: Type.Union([Type.Literal('file'), Type.Literal('pull'), Type.Literal('agent')], {
    description: 'file: snapshots are uploaded; pull: synced from the department\'s database (`source`); agent: ' +
      'the records stay at the department and its agent is asked each time (docs/agent.md)'
  }),
  source: Type.Optional(SourceBody),
  schedule: Type.Optional(Type.Union([Schedule, Type.Null()])),
  agent: Type.Optional(AgentRefSchema),
  subject: Type.Object({
    field: Type.String({ maxLength: 63 }),
    type: Type.Literal('cn_resident_id'),
    column: Type.Optional(Column)
  }, Strict),
  fields: Type.Array(FieldDef, { maxItems: 200 }),
  maxRejectRatio: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  maxAgeDays: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 36500 }), Type.Null()], {
    description: 'Questions over this connector are refused (503 CONNECTOR_STALE) when today (China Standard ' +
      'Time) minus the active snapshot\'s asOf exceeds this many days; null or absent: no limit ' +
      '(on PUT, absent keeps the current value)'
  })),
  maxRecordsPerSubject: Type.Optional(Type.Integer({
    minimum: 1,
    maximum: 10000,
    description: 'Rows one subject may have in a snapshot (default 1,000): a load rejects the rows beyond as ' +
      'TOO_MANY_RECORDS and questions about that subject are refused (409 SUBJECT_DATA_UNREADABLE); a lookup ' +
      'reads at most this many rows of one subject (on PUT, absent keeps the current value)'
  }))
}, Strict)
export const ConnectorUpdate = Type.Omit(ConnectorBody, ['id'], Strict)

export const RejectedRow = Type.Object({
  line: Type.Integer({ description: '1-based line of the file as sent (a CSV header is line 1)' }),
  field: Type.String({ description: 'the declared field, or empty for the whole row' }),
  code: Type.String(),
  reason: Type.Optional(Type.String({ description: 'what is wrong and what is accepted; never the value' }))
})

export const SnapshotSummary = Type.Object({
  id: Type.Integer(),
  connector: Type.String(),
  status: Type.String({
    description: 'loading, active, superseded, failed, abandoned, or unchanged (a sync that found the data of the ' +
      'active snapshot)'
  }),
  rows: Type.Integer(),
  subjects: Type.Integer(),
  rejectedCount: Type.Integer(),
  rejectedByCode: Type.Record(Type.String(), Type.Integer(), { description: 'rejected rows by code' }),
  rejected: Type.Array(RejectedRow, { description: 'the first 1,000 rejected rows (all: GET …/rejects)' }),
  unreadableSubjects: Type.Integer({
    description: 'subjects behind a rejected row: questions about them are refused (409 SUBJECT_DATA_UNREADABLE)'
  }),
  unlinkableRows: Type.Integer({ description: 'rejected rows whose ID number could not be read at all' }),
  ignoredColumns: Type.Array(Type.String()),
  asOf: DateOnly,
  actor: Type.String({ description: 'who started the load (the token\'s sub)' }),
  startedAt: Instant,
  finishedAt: Type.Union([Instant, Type.Null()], { description: 'when the attempt ended (null while loading)' }),
  loadedAt: Type.Union([Instant, Type.Null()]),
  error: Type.Optional(Type.Union([Type.String(), Type.Null()]))
})

export const ConnectorHealth = Type.Object({
  status: Type.Union([Type.Literal('fresh'), Type.Literal('stale'), Type.Literal('never-loaded')], {
    description: 'stale: questions over the connector are refused (503 CONNECTOR_STALE) until a fresh load'
  }),
  activeSnapshot: Type.Union([Type.Integer(), Type.Null()]),
  asOf: Type.Union([DateOnly, Type.Null()]),
  ageDays: Type.Union([Type.Integer(), Type.Null()], {
    description: 'today (China Standard Time) minus the active snapshot\'s asOf'
  }),
  maxAgeDays: Type.Union([Type.Integer(), Type.Null()]),
  stale: Type.Boolean(),
  rows: Type.Integer({ description: 'rows of the active snapshot' }),
  lastLoad: Type.Union([Type.Object({
    snapshot: Type.Integer(),
    status: Type.String({ description: 'loading, active, superseded, failed or abandoned' }),
    finishedAt: Type.Union([Instant, Type.Null()]),
    code: Type.Optional(Type.String({ description: 'why it failed' }))
  }), Type.Null()], { description: 'the latest load attempt, whatever its outcome' })
}, { description: 'freshness (design §14.2)' })

export const Connector = Type.Object({
  id: Type.String(),
  department: Type.String(),
  title: Type.String(),
  titles: TitlesOut,
  kind: Type.String(),
  subject: Type.Object({ field: Type.String(), type: Type.String(), column: Type.Optional(Type.String()) }),
  fields: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), column: Type.Optional(Type.String()) })),
  maxRejectRatio: Type.Number(),
  maxAgeDays: Type.Union([Type.Integer(), Type.Null()]),
  maxRecordsPerSubject: Type.Integer({ description: 'rows one subject may have in a snapshot' }),
  agent: Type.Optional(AgentRefSchema),
  active: Type.Boolean(),
  activeSnapshot: Type.Union([SnapshotSummary, Type.Null()]),
  source: Type.Optional(Type.Object({
    engine: Type.String(), host: Type.String(), database: Type.String(), query: Type.String()
  }, { description: 'pull connectors: the source without its URL (never returned)' })),
  schedule: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  health: ConnectorHealth,
  createdAt: Instant,
  updatedAt: Instant
})

export const QuestionBody = Type.Object({
  id: Id,
  connector: Id,
  title: Title,
  titles: Type.Optional(Titles),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  params: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), ParamType)),
  when: Type.Unknown({ description: 'A predicate (design §6), checked against the connector at registration' }),
  requiresConsent: Type.Optional(Type.Boolean({
    description: 'Asked only with a consent token of the subject in the request (`consent`); default false'
  }))
}, Strict)
export const QuestionUpdate = Type.Omit(QuestionBody, ['id'], Strict)
export const QuestionSummary = Type.Object({
  id: Type.String(),
  title: Type.String(),
  titles: TitlesOut,
  description: Type.String(),
  params: Type.Record(Type.String(), Type.String()),
  requiresConsent: Type.Boolean({ description: 'The request must carry the subject\'s consent token in `consent`' })
})
export const QuestionDetail = Type.Object({
  id: Type.String(), connector: Type.String(), title: Type.String(), titles: TitlesOut, description: Type.String(),
  params: Type.Record(Type.String(), Type.String()),
  when: Type.Unknown(),
  requiresConsent: Type.Boolean(),
  active: Type.Boolean()
})

const Quota = Type.Integer({ minimum: 0, maximum: 10_000_000 })
export const Quotas = Type.Object({
  requestsPerMinute: Type.Optional(Quota),
  subjectsPerDay: Type.Optional(Quota),
  subjectsPerCase: Type.Optional(Quota),
  namesPerSubjectPerDay: Type.Optional(Quota)
}, Strict)
const DisclosureDelay = Type.Integer({
  minimum: 0,
  maximum: 315_360_000,
  description: 'Confidential clients only: seconds after asking before an entry appears in the citizen\'s access ' +
    'log (at most ten years); default 0'
})
const Purpose = Type.String({ pattern: '^[\\x20-\\x7E]{1,128}$' })
export const PurposeBody = Type.Object({
  id: Type.String({ pattern: '^[\\x20-\\x7E]{1,128}$', description: 'the purpose code clients list and send' }),
  titles: Titles
}, Strict)
export const PurposeUpdate = Type.Object({ titles: Titles }, Strict)
export const PurposeParams = Type.Object({ id: Type.String({ pattern: '^[\\x20-\\x7E]{1,128}$' }) }, Strict)
export const PurposeView = Type.Object({
  id: Type.String(),
  titles: Type.Object({ zh: Type.Optional(Type.String()), en: Type.Optional(Type.String()) }),
  createdAt: Instant,
  updatedAt: Instant
})
const ClientFields = {
  name: Title,
  organisation: Type.Optional(Id),
  questions: Type.Array(Id, { maxItems: 500 }),
  purposes: Type.Array(Purpose, { maxItems: 100 }),
  quotas: Type.Optional(Quotas),
  confidential: Type.Optional(Type.Boolean()),
  autoSuspend: Type.Optional(Type.Boolean({
    description: 'let the abuse detectors suspend this client when they raise an alert'
  })),
  disclosureDelaySeconds: Type.Optional(DisclosureDelay)
}
export const ClientBody = Type.Object({ id: Id, ...ClientFields }, Strict)
export const ClientUpdate = Type.Object({ ...ClientFields, active: Type.Optional(Type.Boolean()) }, Strict)
export const Client = Type.Object({
  id: Type.String(),
  name: Type.String(),
  organisation: Type.Union([Type.String(), Type.Null()]),
  questions: Type.Array(Type.String()),
  purposes: Type.Array(Type.String()),
  quotas: Type.Object({
    requestsPerMinute: Type.Integer(),
    subjectsPerDay: Type.Integer(),
    subjectsPerCase: Type.Integer(),
    namesPerSubjectPerDay: Type.Integer()
  }),
  confidential: Type.Boolean(),
  autoSuspend: Type.Boolean(),
  disclosureDelaySeconds: Type.Integer(),
  active: Type.Boolean()
})
export const ClientSelf = Type.Object({
  id: Type.String(),
  name: Type.String(),
  organisation: Type.Union([Type.String(), Type.Null()]),
  questions: Type.Array(Type.String(), { description: 'the active questions this client may ask' }),
  purposes: Type.Array(Type.String(), { description: 'the purposes it may give' }),
  quotas: Type.Object({
    requestsPerMinute: Type.Integer(),
    subjectsPerDay: Type.Integer(),
    subjectsPerCase: Type.Integer(),
    namesPerSubjectPerDay: Type.Integer()
  }),
  confidential: Type.Boolean(),
  disclosureDelaySeconds: Type.Integer(),
  active: Type.Boolean(),
  usage: Type.Object({
    day: DateOnly,
    requestsThisMinute: Type.Integer({ description: 'requests counted in the current minute' }),
    subjectsToday: Type.Integer({ description: 'distinct people asked about today (China Standard Time)' })
  }, { description: 'what the limits have counted so far' })
})
export const ClientLimits = Type.Object({
  quotas: Quotas,
  autoSuspend: Type.Optional(Type.Boolean())
}, Strict)

export const IdParams = Type.Object({ id: Id }, Strict)
export const SnapshotParams = Type.Object({
  id: Id,
  snapshot: Type.String({ pattern: '^[1-9][0-9]{0,14}$', description: 'a snapshot (load attempt) id' })
}, Strict)
export const Created = Type.Object({ id: Type.String() })
