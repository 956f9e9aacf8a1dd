/**
 * The predicate language of questions (design §6): compilePredicate checks a `when` against a
 * connector's fields and a question's params and compiles it to closures; validateParams checks a
 * request's params. Pure: no I/O; keyed hashing is the caller's, through EvalContext.hashField.
 */
export type {
  CompileError,
  CompileResult,
  CompiledPredicate,
  EvalContext,
  FieldType,
  ParamType,
  ParamValue,
  RecordValue,
  StoredRecord,
  ValidateParamsResult
} from './types.ts'
export { compilePredicate } from './compile.ts'
export { validateParams } from './params.ts'
