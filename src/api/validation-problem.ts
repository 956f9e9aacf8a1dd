/**
 * A schema violation as a problem that names the fix (design §14.6): `field`, the JSON pointer of
 * what to change, and `expected`, what it must be. An unknown field is named, with the defined
 * fields it is closest to. Nothing the client sent as a *value* is repeated; a field *name* is
 * repeated only when it looks like a field name (ASCII, not starting with a digit, no long run of
 * digits), so that an ID number or a name used as a key is never echoed.
 */
import type { FastifySchemaValidationError } from 'fastify'
import { ShifouError, type ErrorCode } from '../errors.ts'
import { nearMatches } from '../verifications/suggest.ts'

const NAME_LIKE = /^[A-Za-z_$][A-Za-z0-9_$.-]{0,63}$/

/** A client-sent key that can be shown: field-like, and no run of six digits (part of an ID). */
function showable (key: string): boolean {
  return NAME_LIKE.test(key) && !/[0-9]{6}/.test(key)
}

/** Ajv's instance path with every segment that cannot be shown replaced by `*` (RFC 6901 escaping). */
function pointer (instancePath: string, last?: string): string {
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/')
  if (last !== undefined) segments.push(last.replaceAll('~', '~0').replaceAll('/', '~1'))
  return segments.map((s) => /^[0-9]+$/.test(s) || showable(s) ? s : '*').map((s) => '/' + s).join('')
}

interface Violation extends FastifySchemaValidationError {
  parentSchema?: { description?: string, properties?: Record<string, unknown> }
}

/** What the rule broken asks for, in words (Ajv's message when nothing better is known). */
function expectation (errors: readonly Violation[], first: Violation): string {
  const p = first.params as Record<string, unknown>
  switch (first.keyword) {
    case 'type': return `must be a JSON ${String(p.type)}${p.type === 'string' ? ' (never a number)' : ''}`
    case 'required': return 'is required'
    case 'pattern':
    case 'format':
      return first.parentSchema?.description !== undefined
        ? `must be ${first.parentSchema.description}`
        : `must match ${String(p.pattern ?? p.format)}`
    case 'const':
    case 'enum':
    case 'anyOf': {
      const allowed = errors.filter((e) => e.instancePath === first.instancePath && e.keyword === 'const')
        .map((e) => JSON.stringify((e.params as { allowedValue: unknown }).allowedValue))
      const listed = (p.allowedValues as unknown[] | undefined)?.map((v) => JSON.stringify(v)) ?? allowed
      return listed.length > 0 ? `must be one of ${listed.join(', ')}` : 'does not have an accepted form'
    }
    default: return first.message ?? 'is not valid'
  }
}

/** The problem of a request that fails its route's schema (`where`: body, querystring, params, headers). */
export function validationProblem (errors: readonly FastifySchemaValidationError[], where: string): ShifouError {
  const all = errors as readonly Violation[]
  // A union's own error comes after those of its branches: it, not a branch's, says what is wrong.
  const first = all.find((e) => e.keyword === 'anyOf') ?? all[0]
  if (first === undefined) return new ShifouError('INVALID_BODY', `The ${where} is not valid`)
  if (first.keyword === 'additionalProperties' || first.keyword === 'unevaluatedProperties') {
    const key = String((first.params as Record<string, unknown>).additionalProperty ??
      (first.params as Record<string, unknown>).unevaluatedProperty ?? '')
    const declared = Object.keys(first.parentSchema?.properties ?? {})
    const field = pointer(first.instancePath, key)
    if (!showable(key)) {
      return new ShifouError('UNKNOWN_FIELD', `${where}${pointer(first.instancePath)} has a field that is not part ` +
        `of the API (its name is not repeated); the fields defined there are: ${declared.join(', ')}`,
      { field: pointer(first.instancePath) + '/*' })
    }
    const suggestions = nearMatches(key, declared)
    const hint = suggestions.length > 0 ? `; did you mean ${suggestions.join(' or ')}?` : ''
    return new ShifouError('UNKNOWN_FIELD',
      `${where}${field} is not a field of this request: remove it${hint}`, { field, suggestions })
  }
  const codes: Record<string, ErrorCode> = {
    querystring: 'INVALID_QUERY', params: 'NOT_FOUND', headers: 'INVALID_HEADER'
  }
  const code = codes[where] ?? 'INVALID_BODY'
  const missing = first.keyword === 'required'
    ? String((first.params as Record<string, unknown>).missingProperty ?? '')
    : undefined
  const field = pointer(first.instancePath, missing)
  const expected = expectation(all, first)
  if (code === 'NOT_FOUND') return new ShifouError(code, `No such resource: ${where}${field} ${expected}`)
  return new ShifouError(code, `${where}${field} ${expected}`, { field, expected })
}
