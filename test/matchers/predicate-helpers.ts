/**
 * Shared fixtures of the predicate tests: one connector schema with a field of every type, one
 * param of every type, and a fake keyed hash that is easy to read in a record.
 */
import type {
  CompiledPredicate,
  EvalContext,
  FieldType,
  ParamType,
  StoredRecord
} from '../../src/matchers/predicate.ts'
import { compilePredicate } from '../../src/matchers/predicate.ts'

export const FIELDS: Record<string, FieldType> = {
  n: 'integer', x: 'number', d: 'date', s: 'string', b: 'boolean', nm: 'name', h: 'hashed'
}
export const PARAMS: Record<string, ParamType> = {
  pi: 'integer', pn: 'number', pd: 'date', ps: 'string', pb: 'boolean'
}
export const fakeHash = (f: string, v: string): string => 'h:' + f + ':' + v

export function ctx (params: EvalContext['params'] = {}, subjectName: string | null = null): EvalContext {
  return { params, hashField: fakeHash, subjectName }
}

/** Compiles or throws with the errors, so that a test about evaluation fails loudly on a bad fixture. */
export function compile (
  when: unknown, fields: Record<string, FieldType> = FIELDS, params: Record<string, ParamType> = PARAMS
): CompiledPredicate {
  const r = compilePredicate(when, fields, params)
  if (!r.ok) throw new Error('fixture does not compile: ' + JSON.stringify(r.errors))
  return r.predicate
}

export function ev (when: unknown, records: readonly StoredRecord[], c: EvalContext = ctx()): boolean {
  return compile(when).evaluate(records, c)
}
