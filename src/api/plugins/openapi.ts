/**
 * The OpenAPI document at /openapi.json and Swagger UI at /docs, generated from the route schemas
 * and completed by the operation catalogue (src/api/openapi): operation ids, summaries, examples,
 * problem+json errors with their codes, and the real media types of non-JSON bodies.
 */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Type } from '@fastify/type-provider-typebox'
import { applyCatalogue, openapiPath, type RouteFacts } from '../openapi/catalogue.ts'
import { OPERATIONS } from '../openapi/operations/index.ts'

export const API_DESCRIPTION = [
  'Privacy-preserving yes/no verification: an approval system asks registered questions about a person and ',
  'gets "yes" or "no", never the data behind them. Every answer and refusal is an entry of a tamper-evident ',
  'audit log, and every answer carries a signed receipt.\n\n',
  'Authenticate with `Authorization: Bearer <JWT>` (claims sub, role, exp, iat, aud = shifou, iss). JSON ',
  'bodies refuse unknown fields and never coerce types. Errors are `application/problem+json` ',
  '(RFC 9457) with a stable `code`; each operation lists the codes it can give. Before any operation, a ',
  'request that is not valid HTTP or whose URL is not valid percent-encoding is refused with INVALID_REQUEST, ',
  'INVALID_URL, HEADERS_TOO_LARGE (431) or REQUEST_TIMEOUT (408). The guide: docs/api.md.'
].join('')

export default fp(async (app) => {
  // What each route declares (its roles, its body, query and path schemas), seen as the document is built.
  const facts = new Map<string, RouteFacts>()
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'shifou', version: '1', description: API_DESCRIPTION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }]
    },
    // Shared schemas keep their $id as their name (#/components/schemas/Problem).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transform: ({ schema, url, route }) => {
      const methods = ([] as string[]).concat(route.method)
      const s = (schema ?? {}) as Record<string, unknown>
      const routeFacts: RouteFacts = {
        public: (route.config as { roles?: unknown } | undefined)?.roles === 'public',
        jsonBody: s.body !== undefined,
        query: s.querystring !== undefined,
        params: s.params !== undefined
      }
      for (const method of methods) facts.set(`${method} ${openapiPath(url)}`, routeFacts)
      return { schema, url }
    },
    transformObject: (documents) => {
      const document = 'openapiObject' in documents ? documents.openapiObject : documents.swaggerObject
      return applyCatalogue(document as Record<string, unknown>, OPERATIONS, facts)
    }
  })
  // Swagger UI's own routes (HTML and assets) are public, like the document they show.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), roles: 'public' }
  })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', displayOperationId: true, defaultModelsExpandDepth: 0 }
  })
  app.get('/openapi.json', {
    config: { roles: 'public' },
    schema: {
      tags: ['operations'],
      description: 'The OpenAPI 3.1 document of this service, from which the typed client (client/) is generated.',
      response: { 200: Type.Object({}, { additionalProperties: true }) }
    }
  }, async () => app.swagger())
}, { name: 'openapi' })
