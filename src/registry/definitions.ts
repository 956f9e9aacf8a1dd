/**
 * Validation of what admins register (design §5): connectors, questions and clients. Everything
 * that can be wrong with a definition is found here, at registration, not at question time.
 */
import { ShifouError } from '../errors.ts'
import {
  compilePredicate, type CompiledPredicate, type FieldType, type ParamType
} from '../matchers/predicate/index.ts'
import type { FieldDef, Quotas } from '../db/schema/index.ts'
import { headerKey } from '../connectors/columns.ts'

export const FIELD_TYPES: readonly FieldType[] = ['string', 'integer', 'number', 'boolean', 'date', 'name', 'hashed']
export const PARAM_TYPES: readonly ParamType[] = ['string', 'integer', 'number', 'boolean', 'date']
export const FIELD_NAME = /^[a-z][a-z0-9_]{0,62}$/
const RESERVED = new Set(['and', 'or', 'not'])

export const DEFAULT_QUOTAS: Quotas = {
  requestsPerMinute: 600,
  subjectsPerDay: 500,
  subjectsPerCase: 20,
  namesPerSubjectPerDay: 3
}
export const DEFAULT_MAX_REJECT_RATIO = 0.01
/**
 * Rows one subject may have in a snapshot unless its connector says otherwise (design §14.1
 * "Bounded lookups"); the API allows 1–10,000, since a lookup reads up to this many rows plus one.
 */
export const DEFAULT_MAX_RECORDS_PER_SUBJECT = 1000

function invalid (message: string, errors?: Array<{ path: string, message: string }>): ShifouError {
  return new ShifouError('INVALID_DEFINITION', message, errors === undefined ? undefined : { errors })
}

export interface ConnectorInput {
  subject: { field: string, type: string, column?: string }
  fields: FieldDef[]
}

/** Longest column header a connector may name. */
export const MAX_COLUMN_LENGTH = 200

/**
 * A declared source column (design §14.1): any Unicode header text, compared trimmed and NFC, so
 * it must not be empty once trimmed, and two declared columns may not be the same header.
 */
function checkColumn (column: string | undefined, path: string): void {
  if (column === undefined) return
  if (typeof column !== 'string' || !column.isWellFormed()) throw invalid(`${path} must be text`)
  const key = headerKey(column)
  if (key === '') throw invalid(`${path} is empty once trimmed of spaces`)
  if ([...key].length > MAX_COLUMN_LENGTH) throw invalid(`${path} is longer than ${MAX_COLUMN_LENGTH} characters`)
  if ([...key].some((ch) => ch.charCodeAt(0) < 0x20 || ch === '\u007f')) {
    throw invalid(`${path} contains a control character or a line break`)
  }
}

/** Checks a connector's subject and declared fields; returns the field-type map. */
export function checkConnectorFields (input: ConnectorInput): Record<string, FieldType> {
  const { subject, fields } = input
  if (!FIELD_NAME.test(subject.field)) throw invalid('subject.field must match ' + FIELD_NAME.source)
  if (subject.type !== 'cn_resident_id') throw invalid('subject.type must be cn_resident_id')
  checkColumn(subject.column, 'subject.column')
  const types: Record<string, FieldType> = Object.create(null)
  const columns = new Map<string, string>([[headerKey(subject.column ?? subject.field), 'subject']])
  fields.forEach((f, i) => {
    if (!FIELD_NAME.test(f.name)) throw invalid(`fields/${i}/name must match ${FIELD_NAME.source}`)
    if (RESERVED.has(f.name)) throw invalid(`fields/${i}/name may not be and, or, not`)
    if (f.name === subject.field) throw invalid(`fields/${i}/name is the subject field; do not list it in fields`)
    if (Object.hasOwn(types, f.name)) throw invalid(`fields/${i}/name is declared twice`)
    if (!(FIELD_TYPES as readonly string[]).includes(f.type)) {
      throw invalid(`fields/${i}/type must be one of ${FIELD_TYPES.join(', ')}`)
    }
    checkColumn(f.column, `fields/${i}/column`)
    const column = headerKey(f.column ?? f.name)
    const other = columns.get(column)
    if (other !== undefined) {
      throw invalid(`fields/${i} reads the same column as ${other}; give each field a column of its own`)
    }
    columns.set(column, `fields/${i}`)
    types[f.name] = f.type as FieldType
  })
  return types
}

export function fieldTypes (fields: readonly FieldDef[]): Record<string, FieldType> {
  const types: Record<string, FieldType> = Object.create(null)
  for (const f of fields) types[f.name] = f.type as FieldType
  return types
}

export function checkParams (params: Record<string, string>): Record<string, ParamType> {
  const out: Record<string, ParamType> = Object.create(null)
  for (const [name, type] of Object.entries(params)) {
    if (!FIELD_NAME.test(name)) throw invalid(`params/${name} must match ${FIELD_NAME.source}`)
    if (!(PARAM_TYPES as readonly string[]).includes(type)) {
      throw invalid(`params/${name} must be one of ${PARAM_TYPES.join(', ')}`)
    }
    out[name] = type as ParamType
  }
  return out
}

/** Compiles a question's predicate against its connector's fields; 400 with every error found. */
export function compileQuestion (
  when: unknown,
  fields: readonly FieldDef[],
  params: Record<string, string>
): CompiledPredicate {
  const result = compilePredicate(when, fieldTypes(fields), checkParams(params))
  if (!result.ok) {
    const listed = result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')
    throw invalid('The predicate is not valid for this connector: ' + listed, result.errors)
  }
  return result.predicate
}

export function checkQuotas (quotas: Partial<Quotas> | undefined): Quotas {
  return { ...DEFAULT_QUOTAS, ...(quotas ?? {}) }
}
