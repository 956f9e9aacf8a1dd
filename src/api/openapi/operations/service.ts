/** Catalogue of the public operations: health, readiness, the receipt keys, this document. */
import type { Catalogue } from '../catalogue.ts'

export const serviceOperations: Catalogue = {
  'GET /healthz': {
    operationId: 'getHealth',
    summary: 'Liveness: the process answers',
    response: { status: 'ok' }
  },
  'GET /readyz': {
    operationId: 'getReadiness',
    summary: 'Readiness: the database answers',
    errors: ['DATABASE_UNAVAILABLE'],
    response: { status: 'ready' }
  },
  'GET /.well-known/jwks.json': {
    operationId: 'getReceiptKeys',
    summary: 'The keys that verify receipts (JWK Set)',
    contentByStatus: {
      404: {
        'application/json': {
          schema: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', maxItems: 0 } } },
          example: { keys: [] }
        }
      }
    },
    response: {
      keys: [{
        kty: 'OKP',
        crv: 'Ed25519',
        x: 'TdGvVxNnYhIiOeRt2dF3gH4iJ5kL6mN7oP8qR9sT0uU',
        kid: 'MjAyNi0wMy0wMQ',
        alg: 'EdDSA',
        use: 'sig'
      }]
    }
  },
  'GET /assets/{file}': {
    operationId: 'getAsset',
    summary: 'A file of the service\'s own web pages',
    responseContent: {
      'text/javascript': { schema: { type: 'string' }, example: 'export async function verifyReceipt (jws, jwks) {…}' },
      'text/css': { schema: { type: 'string' } },
      'image/svg+xml': { schema: { type: 'string' } },
      'image/png': { schema: { type: 'string', format: 'binary' } }
    }
  },
  'GET /openapi.json': {
    operationId: 'getOpenapi',
    summary: 'This document (OpenAPI 3.1)',
    response: { openapi: '3.1.0', info: { title: 'shifou', version: '1' }, paths: {} }
  }
}
