/** The OpenAPI document at /openapi.json and Swagger UI at /docs, generated from the route schemas. */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export default fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'shifou',
        version: '1',
        description: 'Privacy-preserving yes/no verification. Answers are only "yes" or "no"; every answer and ' +
          'refusal is an audit entry. Errors are application/problem+json with a stable `code`.'
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }]
    }
  })
  // Swagger UI's own routes (HTML and assets) are public, like the document they show.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config ?? {}), roles: 'public' }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } })
  app.get('/openapi.json', { config: { roles: 'public' }, schema: { hide: true } }, async () => app.swagger())
}, { name: 'openapi' })
