/**
 * Compiles a Cond (design §6): an object whose keys are field names or and/or/not, all of which
 * must hold; {} holds for every record. Field names never collide with and/or/not (connector
 * registration forbids them), so those keys are always combinators.
 */
import type { Compiler } from './support.ts'
import type { RecordTest } from './types.ts'
import { allOf, anyOf, notOf } from './combine.ts'
import { compileField } from './field.ts'
import { describe, fail, fieldType, isPlainObject, pointer, quote } from './support.ts'
import { MAX_DEPTH, MAX_LIST } from './types.ts'

export function compileCond (c: Compiler, cond: unknown, path: string, depth: number): RecordTest | undefined {
  if (depth > MAX_DEPTH) return fail(c, path, `nested deeper than ${MAX_DEPTH} levels`)
  if (!isPlainObject(cond)) return fail(c, path, `a condition must be an object, got ${describe(cond)}`)
  const tests: RecordTest[] = []
  let ok = true
  for (const key of Object.keys(cond)) {
    const test = compileKey(c, key, cond[key], pointer(path, key), depth)
    if (test === undefined) ok = false
    else tests.push(test)
  }
  return ok ? allOf(tests) : undefined
}

function compileKey (c: Compiler, key: string, v: unknown, path: string, depth: number): RecordTest | undefined {
  if (key === 'and' || key === 'or') {
    const tests = compileCondList(c, key, v, path, depth + 1)
    if (tests === undefined) return undefined
    return key === 'and' ? allOf(tests) : anyOf(tests)
  }
  if (key === 'not') {
    const test = compileCond(c, v, path, depth + 1)
    return test === undefined ? undefined : notOf(test)
  }
  const type = fieldType(c, key)
  if (type === undefined) return fail(c, path, `unknown field ${quote(key)}`)
  return compileField(c, key, type, v, path)
}

function compileCondList (c: Compiler, key: string, v: unknown, path: string, depth: number): RecordTest[] | undefined {
  if (!checkList(c, key, v, path)) return undefined
  const tests: RecordTest[] = []
  let ok = true
  v.forEach((item: unknown, i) => {
    const test = compileCond(c, item, pointer(path, i), depth)
    if (test === undefined) ok = false
    else tests.push(test)
  })
  return ok ? tests : undefined
}

/** and/or take a non-empty array of at most MAX_LIST items; an empty one is a mistake, not true/false. */
export function checkList (c: Compiler, key: string, v: unknown, path: string): v is unknown[] {
  if (!Array.isArray(v)) {
    fail(c, path, `"${key}" takes an array of 1-${MAX_LIST} items, got ${describe(v)}`)
    return false
  }
  if (v.length < 1 || v.length > MAX_LIST) {
    fail(c, path, `"${key}" takes 1-${MAX_LIST} items, got ${v.length}`)
    return false
  }
  return true
}
