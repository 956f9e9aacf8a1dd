/**
 * The OpenAPI document teaches (design §14.6): every route has an entry in the operation catalogue
 * (src/api/openapi/operations), so a new route cannot land undocumented; every operation has a
 * unique operationId and a summary; errors are application/problem+json listing their codes; and
 * every example in the document is valid against its own schema.
 */
import t from 'tap'
import type { RouteOptions } from 'fastify'
import { CONSOLE_DEFAULTS } from '../../src/console/config.ts'
import { ERRORS, type ErrorCode } from '../../src/errors.ts'
import { openapiPath } from '../../src/api/openapi/catalogue.ts'
import { OPERATIONS } from '../../src/api/openapi/operations/index.ts'
import { build } from '../helpers/app.ts'
import { operationsOf, schemaValidator, type Document } from '../helpers/openapi.ts'

const routes: RouteOptions[] = []
// Every optional route on too: the console's OpenID Connect sign-in (its provider is asked only on sign-in).
const oidc = {
  issuer: 'https://idp.invalid',
  clientId: 'shifou-console',
  clientSecret: null,
  redirectUri: 'https://shifou.invalid/console/oidc/callback',
  scopes: 'openid',
  roleClaim: 'roles',
  roleMap: new Map(),
  deptClaim: 'dept',
  idNumberClaim: 'id_number'
}
const { app } = await build(t, {
  onRoute: (route) => { routes.push(route) },
  console: { ...CONSOLE_DEFAULTS, devSignIn: true, oidc }
})
const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as Document
const operations = operationsOf(doc)
const valid = schemaValidator(doc)

/** The routes a client can call: not Swagger UI's pages and assets, not the HEAD twins of GETs. */
const served = routes
  .filter((r) => !r.url.startsWith('/docs'))
  .flatMap((r) => ([] as string[]).concat(r.method).filter((m) => m !== 'HEAD')
    .map((m) => `${m} ${openapiPath(r.url)}`))

t.test('every route has a catalogue entry and is in the document', async (t) => {
  t.ok(served.length >= 38, `${served.length} operations served`)
  for (const key of served) {
    if (key === 'GET /metrics') continue
    t.ok(OPERATIONS[key] !== undefined, `${key} has an entry in src/api/openapi/operations`)
    t.ok(operations.has(key), `${key} is in /openapi.json`)
  }
  const servedSet = new Set(served)
  for (const key of Object.keys(OPERATIONS)) t.ok(servedSet.has(key), `catalogue entry ${key} is a route`)
})

t.test('operation ids are unique, summaries present, public operations need no token', async (t) => {
  const ids = new Set<string>()
  for (const [key, op] of operations) {
    t.match(op.operationId, /^[a-z][A-Za-z]+$/, `${key} has an operationId`)
    t.notOk(ids.has(op.operationId!), `${key}: operationId ${op.operationId} is unique`)
    ids.add(op.operationId!)
    t.ok((op.summary ?? '').length > 5, `${key} has a summary`)
    const isPublic = Array.isArray(op.security) && op.security.length === 0
    const tokenRefused = op.responses['401']?.content?.['application/problem+json'] !== undefined
    t.equal(tokenRefused, !isPublic, `${key}: 401 UNAUTHENTICATED documented exactly when a token is needed`)
  }
})

t.test('errors are problem+json, each status listing the codes it can carry', async (t) => {
  for (const [key, op] of operations) {
    for (const [status, response] of Object.entries(op.responses)) {
      // An error body of another kind is declared in the catalogue, with its media type.
      if (Number(status) < 400 || OPERATIONS[key]?.contentByStatus?.[status] !== undefined) continue
      const media = response.content?.['application/problem+json']
      t.same(Object.keys(response.content ?? {}), ['application/problem+json'], `${key} ${status} is problem+json`)
      const codes = ((media?.schema?.allOf as Array<{ properties?: { code?: { enum?: ErrorCode[] } } }>)?.[1]
        ?.properties?.code?.enum) ?? []
      t.ok(codes.length > 0, `${key} ${status} lists its codes`)
      for (const code of codes) t.equal(ERRORS[code]?.status, Number(status), `${key}: ${code} is a ${status}`)
      for (const code of codes) {
        const ref = (media?.examples?.[code] as { $ref?: string } | undefined)?.$ref
        t.equal(ref, '#/components/examples/' + code, `${key} ${status}: the ${code} example`)
        const example = doc.components.examples?.[code]?.value
        t.equal(valid(media!.schema!, example), null, `${key} ${status}: the ${code} example is valid`)
      }
    }
  }
})

t.test('every example is valid against its schema; JSON bodies have one', async (t) => {
  let checked = 0
  for (const [key, op] of operations) {
    const bodies = Object.entries(op.requestBody?.content ?? {}).map(([type, m]) => ['request ' + type, m] as const)
    for (const [status, response] of Object.entries(op.responses)) {
      if (Number(status) >= 400) continue
      for (const [type, m] of Object.entries(response.content ?? {})) bodies.push([`${status} ${type}`, m] as const)
    }
    for (const [where, media] of bodies) {
      if (where.endsWith('application/json')) t.ok(media.example !== undefined, `${key} ${where} has an example`)
      if (media.example === undefined) continue
      t.equal(valid(media.schema ?? {}, media.example), null, `${key} ${where}: the example is valid`)
      checked++
    }
  }
  t.ok(checked >= 40, `${checked} examples checked`)
})

t.test('non-JSON bodies have their real media types', async (t) => {
  const types = (key: string, status: string): string[] => Object.keys(operations.get(key)!.responses[status]!.content!)
  t.same(types('GET /v1/audit/export', '200'), ['application/x-ndjson', 'text/csv'])
  t.same(types('GET /v1/connectors/{id}/snapshots/{snapshot}/rejects', '200'), ['text/csv'])
  t.same(types('POST /v1/verifications/{id}/certificate', '200'), ['text/html', 'image/svg+xml', 'image/png'])
  t.same(Object.keys(operations.get('PUT /v1/connectors/{id}/snapshot')!.requestBody!.content),
    ['text/csv', 'application/x-ndjson'], 'uploads are CSV or NDJSON')
  t.same(types('POST /v1/verifications', '200'), ['application/json'])
  t.ok(operations.get('POST /v1/verifications')!.responses['429']!.headers?.['Retry-After'], '429 has Retry-After')
})
