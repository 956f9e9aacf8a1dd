/**
 * The JSON body parser. Beyond Fastify's own (which already refuses `__proto__` and
 * `constructor.prototype` keys), it refuses bodies that are not valid UTF-8 and strings holding a
 * lone surrogate or a NUL: the former would silently become U+FFFD and change a keyed hash, the
 * latter cannot be stored in PostgreSQL. Numbers stay numbers: the schemas then refuse an ID sent
 * as a JSON number instead of coercing it.
 */
import fp from 'fastify-plugin'
import sjson from 'secure-json-parse'
import { ShifouError } from '../../errors.ts'

const decoder = new TextDecoder('utf-8', { fatal: true })

function checkStrings (value: unknown, depth: number): void {
  if (depth > 32) throw new ShifouError('INVALID_BODY', 'The body is nested too deeply')
  if (typeof value === 'string') {
    if (!value.isWellFormed() || value.includes('\u0000')) {
      throw new ShifouError('INVALID_BODY', 'A string holds a lone surrogate or a NUL character')
    }
  } else if (Array.isArray(value)) {
    for (const v of value) checkStrings(v, depth + 1)
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkStrings(k, depth + 1)
      checkStrings(v, depth + 1)
    }
  }
}

export function parseJsonBody (body: Buffer): unknown {
  let text: string
  try {
    text = decoder.decode(body)
  } catch {
    throw new ShifouError('INVALID_BODY', 'The body is not valid UTF-8')
  }
  if (text.trim() === '') throw new ShifouError('INVALID_BODY', 'The body is empty')
  let value: unknown
  try {
    value = sjson.parse(text, null, { protoAction: 'error', constructorAction: 'error' })
  } catch {
    throw new ShifouError('INVALID_BODY', 'The body is not valid JSON, or holds a forbidden key')
  }
  checkStrings(value, 0)
  return value
}

export default fp(async (app) => {
  // Fastify's default text/plain parser goes too: a JSON route must answer 415 to text/plain,
  // not parse it into a string that fails the schema as a 400 (research §4.3 I11).
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      // The body is always decoded as UTF-8 (RFC 8259 §8.1): a body declared in another charset is 415.
      const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase()
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        throw new ShifouError('UNSUPPORTED_MEDIA_TYPE',
          'JSON bodies are UTF-8: send Content-Type: application/json (with charset=utf-8 or none)',
          { accepted: ['application/json'] })
      }
      done(null, parseJsonBody(body as Buffer))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}, { name: 'json' })
