/**
 * Types of the predicate language (design §6): the public API shapes, and the internal closure
 * signatures the compiler builds. A compiled predicate is a tree of closures made once at question
 * registration; evaluation walks no JSON.
 */

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'name' | 'hashed'
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'date'

/** A stored value. Dates are 'YYYY-MM-DD'; name/hashed fields hold lowercase hex keyed hashes. */
export type RecordValue = string | number | boolean | null
/** A stored record: declared fields only. */
export type StoredRecord = Readonly<Record<string, RecordValue>>
export type ParamValue = string | number | boolean

export interface EvalContext {
  /** Already validated by validateParams. */
  params: Readonly<Record<string, ParamValue>>
  /** Keyed hash (lowercase hex) of a normalised value of a name/hashed field, bound to this subject. */
  hashField: (field: string, value: string) => string
  /** The request's normalised subject name, or null if none was sent. */
  subjectName: string | null
}

export interface CompiledPredicate {
  evaluate(records: readonly StoredRecord[], ctx: EvalContext): boolean
  /** True if any Value is {"subject": "name"}: the request needs subject.name. */
  usesSubjectName: boolean
  /** Fields (name and hashed) whose comparisons call ctx.hashField, in order of first use. */
  hashedFields: string[]
}

export interface CompileError { path: string, message: string }

export type CompileResult =
  | { ok: true, predicate: CompiledPredicate }
  | { ok: false, errors: CompileError[] }

export type ValidateParamsResult =
  | { ok: true, params: Record<string, ParamValue> }
  | { ok: false, message: string }

// ---- internal -----------------------------------------------------------------------------------

/**
 * Per-evaluation cache of keyed hashes, one slot per hashed operand, so that a hash is computed at
 * most once per evaluation however many records are tested (and not at all if never reached).
 */
export type Memo = Array<string | undefined>

export type RecordTest = (record: StoredRecord, ctx: EvalContext, memo: Memo) => boolean
export type RecordsTest = (records: readonly StoredRecord[], ctx: EvalContext, memo: Memo) => boolean
/** Produces the right-hand side of a comparison (a param, or a keyed hash). */
export type Getter = (ctx: EvalContext, memo: Memo) => ParamValue

/** A compiled Value: literals are kept as such so that eq and in can test them without a call. */
export type Operand = { lit: true, value: ParamValue } | { lit: false, get: Getter }

export const OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in'] as const
export type Op = typeof OPS[number]
export type OrderOp = 'gt' | 'gte' | 'lt' | 'lte'

export const MAX_DEPTH = 16
export const MAX_LIST = 32
export const MAX_IN = 100
