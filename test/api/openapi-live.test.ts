/**
 * The OpenAPI document tells the truth (design §14.6): every case of openapi-cases.ts is sent to the
 * real service (on a real database holding the demo), and its response — status, Content-Type and
 * body — must be one the document describes for that operation: a documented status, a documented
 * media type, a body valid against that media type's schema (Ajv), and for a refusal the expected
 * problem code among those documented. Every operation of the document must have a case that
 * succeeds, and every operation behind a token one that is refused.
 */
import t from 'tap'
import { loadDemo } from '../../src/demo/demo.ts'
import { makePeople } from '../../src/demo/population.ts'
import { build } from '../helpers/app.ts'
import { storeAlert } from '../../src/abuse/alerts.ts'
import { CONSOLE_DEFAULTS } from '../../src/console/config.ts'
import { baseMediaType, operationsOf, schemaValidator, type Document } from '../helpers/openapi.ts'
import { CASES, type Case, type Ctx } from './openapi-cases.ts'

const app = await build(t, { console: { ...CONSOLE_DEFAULTS, devSignIn: true } })
await loadDemo(app.database, app.keyring, 40)
await storeAlert(app.database, {
  kind: 'UNKNOWN_SUBJECTS', client: 'demo-housing', organisation: null, scope: 'oa', day: '2026-12-06', detail: { n: 1 }
})
const [person, other] = makePeople(2, 2026) as [Ctx['person'], Ctx['person']]
const ctx: Ctx = { person, other, verification: '', auditIndex: -1, snapshot: -1, failedSnapshot: -1 }

const doc = (await app.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Document
const operations = operationsOf(doc)
const valid = schemaValidator(doc)

const value = <T>(v: T | ((c: Ctx) => T), c: Ctx): T => typeof v === 'function' ? (v as (c: Ctx) => T)(c) : v
const JSON_TYPES = new Set(['application/json', 'application/problem+json'])

function urlOf (c: Case): string {
  const [, path] = c.op.split(' ') as [string, string]
  const params = value(c.params ?? {}, ctx)
  const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(String(params[name])))
  const query = value(c.query, ctx)
  return query === undefined ? url : `${url}?${query}`
}

interface Sent { status: number, type: string | undefined, body: string, headers: Record<string, unknown> }

async function send (c: Case): Promise<Sent> {
  const [method] = c.op.split(' ') as [string, string]
  const claims = value(c.as, ctx)
  const body = value(c.body, ctx)
  const raw = typeof body === 'string'
  const headers: Record<string, string> = {
    ...(claims === null ? {} : { authorization: 'Bearer ' + app.token(claims) }),
    ...(body === undefined ? {} : { 'content-type': c.type ?? 'application/json' }),
    ...c.headers
  }
  const res = await app.app.inject({
    method: method as 'GET',
    url: urlOf(c),
    headers,
    ...(body === undefined ? {} : { payload: raw ? body : JSON.stringify(body) })
  })
  const type = res.headers['content-type'] as string | undefined
  return { status: res.statusCode, type, body: res.body, headers: res.headers }
}

for (const [i, c] of CASES.entries()) {
  const name = `${i + 1}. ${c.op} → ${c.status}${c.code === undefined ? '' : ' ' + c.code}`
  await t.test(name, async (t) => {
    const op = operations.get(c.op)
    if (op === undefined) return t.fail(`${c.op} is not in the document`)
    const res = await send(c)
    t.equal(res.status, c.status, 'status: ' + res.body.slice(0, 300))
    const documented = op.responses[String(res.status)]
    if (documented === undefined) return t.fail(`status ${res.status} is not documented for ${c.op}`)
    for (const [header, doc] of Object.entries(documented.headers ?? {})) {
      if ((doc as { required?: boolean }).required !== true) continue
      t.ok(res.headers[header.toLowerCase()] !== undefined, `the required ${header} header is sent`)
    }
    for (const [header, expected] of Object.entries(c.expect ?? {})) {
      t.equal(res.headers[header], expected, `header ${header}`)
      const named = Object.keys(documented.headers ?? {}).some((h) => h.toLowerCase() === header)
      t.ok(named, `the ${header} header is documented for ${c.op} ${res.status}`)
    }
    const content = documented.content ?? {}
    if (Object.keys(content).length === 0) {
      t.equal(res.body, '', 'no body, as documented')
      return
    }
    const media = baseMediaType(res.type)
    if (c.media !== undefined) t.equal(media, c.media, 'the media type asked for')
    const described = content[media]
    if (described === undefined) {
      return t.fail(`Content-Type ${res.type} is not documented for ${c.op} ${res.status}: ${Object.keys(content)}`)
    }
    const body: unknown = JSON_TYPES.has(media) ? JSON.parse(res.body) : res.body
    t.equal(valid(described.schema ?? {}, body), null, `the ${media} body is valid against the document`)
    if (c.code !== undefined) t.equal((body as { code?: string }).code, c.code, 'the problem code')
    if (res.status < 300) c.save?.(body, ctx)
  })
}

t.test('every operation of the document has cases', async (t) => {
  for (const [key, op] of operations) {
    const cases = CASES.filter((c) => c.op === key)
    t.ok(cases.some((c) => c.status < 300), `${key} has a case that succeeds`)
    const isPublic = Array.isArray(op.security) && op.security.length === 0
    if (!isPublic) t.ok(cases.some((c) => c.status >= 400), `${key} has a case that is refused`)
  }
})
