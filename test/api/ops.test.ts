/**
 * Operations endpoints (design §5 "Operations"): /healthz, /readyz, /metrics, /openapi.json and
 * /docs are public; metrics carry route patterns and codes, never a value a client sent; the
 * OpenAPI document describes every /v1 route.
 */
import t from 'tap'
import type { LightMyRequestResponse, RouteOptions } from 'fastify'
import { loadDemo } from '../../src/demo/demo.ts'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { verification } from '../helpers/verifications.ts'

const routes: RouteOptions[] = []
const { app, database, keyring, token: tokenFor, as } = await build(t, { onRoute: (route) => { routes.push(route) } })
const { people } = await loadDemo(database, keyring, 20)

async function get (url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url, headers })
}

t.test('/healthz and /readyz answer without a token', async (t) => {
  const health = await get('/healthz')
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  const ready = await get('/readyz')
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready' })
  // a bad token does not turn a public route into a 401
  t.equal((await get('/healthz', { authorization: 'Bearer nonsense' })).statusCode, 200)
  // and a public route is not a way around the role checks of the others
  const v1 = await get('/v1/departments')
  t.equal(v1.statusCode, 401)
  t.equal(v1.json().code, 'UNAUTHENTICATED')
})

t.test('/metrics counts requests and problems and carries no identifier', async (t) => {
  const person = people[0]!
  const token = tokenFor(CALLER)
  const caseId = 'METRICS-CASE-7741'
  const ask = async (
    subject: { idNumber: string, name?: string },
    questions = 'identity.name_matches'
  ): Promise<LightMyRequestResponse> =>
    await as(token)('POST', '/v1/verifications', verification({ ...subject, questions, caseId }))

  t.equal((await ask({ idNumber: person.idNumber, name: person.name })).statusCode, 200)
  const wrongCheck = person.idNumber.slice(0, 17) + (person.idNumber[17] === '0' ? '1' : '0')
  const invalid = await ask({ idNumber: wrongCheck, name: person.name })
  t.equal(invalid.json().code, 'INVALID_ID_NUMBER')
  t.equal((await ask({ idNumber: person.idNumber })).json().code, 'SUBJECT_NAME_REQUIRED')
  t.equal(
    (await ask({ idNumber: person.idNumber, name: person.name }, 'no.such.question')).json().code,
    'QUESTION_NOT_ALLOWED'
  )
  t.equal((await get('/v1/departments', { authorization: 'Bearer ' + token })).statusCode, 403)
  t.equal((await get('/v1/departments')).statusCode, 401)
  // identifiers in paths and query strings: unknown routes and filters
  t.equal((await get('/v1/subjects/' + person.idNumber)).statusCode, 404)
  t.equal(
    (await get('/v1/connectors/' + person.idNumber, { authorization: 'Bearer ' + tokenFor(ADMIN) })).statusCode,
    404
  )
  const filtered = await get('/v1/audit/entries?caseId=' + caseId, { authorization: 'Bearer ' + tokenFor(AUDITOR) })
  t.equal(filtered.statusCode, 200)

  const metrics = await get('/metrics')
  t.equal(metrics.statusCode, 200)
  t.match(metrics.headers['content-type'], /^text\/plain/)
  const text = metrics.body
  t.match(text, /# TYPE shifou_http_requests_total counter/)
  t.match(text, /# TYPE shifou_problems_total counter/)
  t.match(text, /shifou_http_requests_total\{method="POST",route="\/v1\/verifications",status="200"\} [1-9]/)
  t.match(text, /shifou_http_requests_total\{method="POST",route="\/v1\/verifications",status="400"\} [1-9]/)
  t.match(text, /shifou_problems_total\{code="INVALID_ID_NUMBER",status="400"\} [1-9]/)
  t.match(text, /shifou_problems_total\{code="SUBJECT_NAME_REQUIRED",status="400"\} [1-9]/)
  t.match(text, /shifou_problems_total\{code="QUESTION_NOT_ALLOWED",status="403"\} [1-9]/)
  t.match(text, /shifou_problems_total\{code="FORBIDDEN",status="403"\} [1-9]/)
  t.match(text, /shifou_problems_total\{code="UNAUTHENTICATED",status="401"\} [1-9]/)
  t.match(text, /shifou_problems_total\{code="NOT_FOUND",status="404"\} [1-9]/)
  t.match(text, /shifou_answers_total\{answer="yes"\} [1-9]/)

  for (const [what, value] of [
    ['ID number', person.idNumber],
    ['wrong ID number', wrongCheck],
    ['ID without check digit', person.idNumber.slice(0, 17)],
    ['name', person.name],
    ['case id', caseId],
    ['token', token],
    ['token signature', token.split('.')[2]!],
    ['question asked', 'no.such.question']
  ] as const) {
    t.notOk(text.includes(value), `/metrics does not carry the ${what}`)
  }
  // Every route label is a registered route pattern (or 'unknown'), never a raw URL.
  const patterns = new Set(routes.map((r) => r.url))
  const labels = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!))
  t.ok(labels.size >= 4, 'route labels: ' + [...labels].join(', '))
  for (const label of labels) t.ok(label === 'unknown' || patterns.has(label), `route label ${label} is a pattern`)
})

t.test('/openapi.json describes every /v1 route', async (t) => {
  const res = await get('/openapi.json')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  const doc = JSON.parse(res.body) as {
    openapi: string
    paths: Record<
      string,
      Record<
        string,
        {
          requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
          responses: Record<string, unknown>
        }
      >
    >
  }
  t.match(doc.openapi, /^3\./)

  const v1 = routes
    .filter((r) => r.url.startsWith('/v1/'))
    .flatMap((r) =>
      ([] as string[])
        .concat(r.method)
        .filter((m) => m !== 'HEAD')
        .map((m) => [m.toLowerCase(), r.url.replace(/:(\w+)/g, '{$1}'), r.config?.roles === 'public'] as const)
    )
  t.ok(v1.length >= 20, `${v1.length} /v1 operations`)
  for (const [method, path, isPublic] of v1) {
    const op = doc.paths[path]?.[method]
    t.ok(op !== undefined, `${method.toUpperCase()} ${path} is documented`)
    // a route behind a token documents its refusals (a public one cannot give them)
    if (!isPublic) {
      t.ok(
        op?.responses['401'] !== undefined && op?.responses['403'] !== undefined,
        `${method.toUpperCase()} ${path} documents 401 and 403`
      )
    }
  }
  for (const path of ['/healthz', '/readyz']) t.ok(doc.paths[path]?.get !== undefined, path + ' is documented')

  const verify = doc.paths['/v1/verifications']!.post!
  const schema = verify.requestBody!.content['application/json']!.schema as {
    type: string
    required: string[]
    additionalProperties: boolean
    properties: {
      subject: { properties: { idNumber: { type: string } }, additionalProperties: boolean }
      questions: { maxItems: number, minItems: number }
      caseId: { pattern: string }
    }
  }
  t.equal(schema.type, 'object')
  t.same([...schema.required].sort(), ['caseId', 'purpose', 'questions', 'subject'])
  t.equal(schema.additionalProperties, false, 'unknown fields are refused')
  t.equal(schema.properties.subject.properties.idNumber.type, 'string', 'the ID is a string')
  t.equal(schema.properties.subject.additionalProperties, false)
  t.equal(schema.properties.questions.maxItems, 20)
  t.equal(schema.properties.questions.minItems, 1)
  t.ok(schema.properties.caseId.pattern.length > 0)
  for (const status of ['200', '400', '401', '403', '413', '415', '429', '503']) {
    t.ok(verify.responses[status] !== undefined, `POST /v1/verifications documents ${status}`)
  }
})

t.test('/docs serves Swagger UI', async (t) => {
  let url = '/docs'
  let res = await get(url)
  for (let hops = 0; res.statusCode >= 300 && res.statusCode < 400 && hops < 5; hops++) {
    const location = res.headers.location as string
    t.ok(location, 'a redirect names its target')
    url = new URL(location, 'http://localhost' + url).pathname
    res = await get(url)
  }
  t.equal(res.statusCode, 200, url)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.body, /<html/i)
  t.match(res.body, /swagger/i)
})
