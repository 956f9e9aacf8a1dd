/**
 * compilePredicate: checks a question's `when` against its connector's fields and its declared
 * params (design §6) and turns it into closures, once, at registration. Errors carry a JSON pointer
 * relative to `when` ('' is `when` itself); as many as practical are reported in one pass.
 */
import type { Compiler } from './support.ts'
import type {
  CompileResult, CompiledPredicate, EvalContext, FieldType, Memo, ParamType, RecordsTest, RecordTest, StoredRecord
} from './types.ts'
import { compileAggregate } from './aggregate.ts'
import { allOfSets, anyOfSets, notOfSets } from './combine.ts'
import { checkList, compileCond } from './cond.ts'
import { describe, fail, isPlainObject, newCompiler, pointer, quote } from './support.ts'
import { MAX_DEPTH } from './types.ts'

const SHAPE = 'a predicate is an object with exactly one key: any, all, count, sum, not, and or or'
/** Shared by predicates that hash nothing: they never write to it. */
const NO_MEMO: Memo = []

export function compilePredicate (
  when: unknown,
  fields: Readonly<Record<string, FieldType>>,
  params: Readonly<Record<string, ParamType>>
): CompileResult {
  const c = newCompiler(fields, params)
  const root = compile(c, when, '', 1)
  if (root === undefined || c.errors.length > 0) return { ok: false, errors: c.errors }
  return { ok: true, predicate: finish(c, root) }
}

/** Depth counts Predicate and Cond objects from the root (1); comparison objects do not count. */
function compile (c: Compiler, p: unknown, path: string, depth: number): RecordsTest | undefined {
  if (depth > MAX_DEPTH) return fail(c, path, `nested deeper than ${MAX_DEPTH} levels`)
  if (!isPlainObject(p)) return fail(c, path, `${SHAPE}; got ${describe(p)}`)
  const keys = Object.keys(p)
  const [key] = keys
  if (key === undefined || keys.length > 1) {
    const found = keys.length === 0 ? 'none' : keys.map(quote).join(', ')
    return fail(c, path, `${SHAPE}; found ${found}`)
  }
  const v = p[key]
  const at = pointer(path, key)
  switch (key) {
    case 'any': return withCond(c, v, at, depth, some)
    case 'all': return withCond(c, v, at, depth, every)
    case 'count':
    case 'sum':
      return compileAggregate(c, key, v, at, depth)
    case 'not': {
      const inner = compile(c, v, at, depth + 1)
      return inner === undefined ? undefined : notOfSets(inner)
    }
    case 'and':
    case 'or': {
      const list = compileList(c, key, v, at, depth + 1)
      if (list === undefined) return undefined
      return key === 'and' ? allOfSets(list) : anyOfSets(list)
    }
    default:
      return fail(c, path, `unknown predicate ${quote(key)}; ${SHAPE}`)
  }
}

function withCond (
  c: Compiler, v: unknown, path: string, depth: number, quantifier: (test: RecordTest) => RecordsTest
): RecordsTest | undefined {
  const test = compileCond(c, v, path, depth + 1)
  return test === undefined ? undefined : quantifier(test)
}

function compileList (c: Compiler, key: string, v: unknown, path: string, depth: number): RecordsTest[] | undefined {
  if (!checkList(c, key, v, path)) return undefined
  const list: RecordsTest[] = []
  let ok = true
  v.forEach((item: unknown, i) => {
    const test = compile(c, item, pointer(path, i), depth)
    if (test === undefined) ok = false
    else list.push(test)
  })
  return ok ? list : undefined
}

function some (test: RecordTest): RecordsTest {
  return (rs, ctx, memo) => {
    for (let i = 0; i < rs.length; i++) if (test(rs[i]!, ctx, memo)) return true
    return false
  }
}

/** "all" needs at least one record: a subject nobody knows is not vacuously compliant. */
function every (test: RecordTest): RecordsTest {
  return (rs, ctx, memo) => {
    if (rs.length === 0) return false
    for (let i = 0; i < rs.length; i++) if (!test(rs[i]!, ctx, memo)) return false
    return true
  }
}

function finish (c: Compiler, root: RecordsTest): CompiledPredicate {
  const slots = c.slots
  const needsName = c.usesSubjectName
  const used = [...c.usedParams]
  return Object.freeze({
    usesSubjectName: needsName,
    hashedFields: [...c.hashedFields],
    evaluate (records: readonly StoredRecord[], ctx: EvalContext): boolean {
      // Both are the caller's duty (usesSubjectName, validateParams); failing loudly beats a wrong "no".
      if (needsName && ctx.subjectName === null) {
        throw new Error('predicate needs the subject name; check usesSubjectName first')
      }
      for (let i = 0; i < used.length; i++) {
        const [name, type] = used[i]!
        if (!Object.hasOwn(ctx.params, name) || !hasType(type, ctx.params[name])) {
          throw new Error(`param ${quote(name)} is missing or invalid; run validateParams first`)
        }
      }
      return root(records, ctx, slots === 0 ? NO_MEMO : new Array<string | undefined>(slots))
    }
  })
}

/** The JS type a param's comparisons rely on: a cheap guard, not validateParams again. */
function hasType (type: ParamType, v: unknown): boolean {
  switch (type) {
    case 'integer': return Number.isSafeInteger(v)
    case 'number': return Number.isFinite(v)
    case 'boolean': return typeof v === 'boolean'
    default: return typeof v === 'string'
  }
}
