/**
 * Boolean combinators over compiled tests, specialised by arity so that the common one- and
 * two-operand cases are a single call each.
 */
import type { RecordTest, RecordsTest } from './types.ts'

const always: RecordTest = () => true

export function allOf (tests: readonly RecordTest[]): RecordTest {
  const [a, b] = tests
  if (a === undefined) return always
  if (tests.length === 1) return a
  if (tests.length === 2 && b !== undefined) return (r, ctx, memo) => a(r, ctx, memo) && b(r, ctx, memo)
  return (r, ctx, memo) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(r, ctx, memo)) return false
    return true
  }
}

export function anyOf (tests: readonly RecordTest[]): RecordTest {
  const [a, b] = tests
  if (a === undefined) return () => false
  if (tests.length === 1) return a
  if (tests.length === 2 && b !== undefined) return (r, ctx, memo) => a(r, ctx, memo) || b(r, ctx, memo)
  return (r, ctx, memo) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(r, ctx, memo)) return true
    return false
  }
}

export function notOf (test: RecordTest): RecordTest {
  return (r, ctx, memo) => !test(r, ctx, memo)
}

export function allOfSets (tests: readonly RecordsTest[]): RecordsTest {
  return (rs, ctx, memo) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(rs, ctx, memo)) return false
    return true
  }
}

export function anyOfSets (tests: readonly RecordsTest[]): RecordsTest {
  return (rs, ctx, memo) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(rs, ctx, memo)) return true
    return false
  }
}

export function notOfSets (test: RecordsTest): RecordsTest {
  return (rs, ctx, memo) => !test(rs, ctx, memo)
}
