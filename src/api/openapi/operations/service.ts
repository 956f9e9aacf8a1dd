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
  'GET /v1/agent-key': {
    operationId: 'getAgentKey',
    summary: 'The hub\'s key for department agents (RFC 9421 signatures)',
    response: { publicKey: 'mR5e9ACpto0aVi__FeyENWxT-tvUQKR5x-0mt2m7PA4', keyid: 'hub', alg: 'ed25519' }
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
  'GET /r': {
    operationId: 'getReceiptCheckPage',
    summary: 'The receipt check page a certificate\'s QR code opens (/r#<token> or /r#<receipt>)',
    description: 'A page that reads the URL\'s fragment (never sent to the service), fetches the certificate\'s ' +
      'receipts by its token and verifies their signatures in the browser against /.well-known/jwks.json, then ' +
      'says in Chinese and English whether the certificate is valid and what it states.',
    responseContent: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html><html lang="zh-CN">…' } }
  },
  'GET /v1/receipt-links/{token}': {
    operationId: 'getReceiptLink',
    summary: 'A printed certificate\'s receipts, by the token of its QR code',
    response: {
      receipts: ['eyJhbGciOiJFZERTQSIsImtpZCI6Ik1qQXlOaTB3TXkwd01RIiwidHlwIjoic2hpZm91LXJlY2VpcHQrand0In0.…'],
      subject: { maskedId: '3301**********6613', maskedName: '朱*强' },
      issuedAt: '2026-03-02T01:00:00.000Z',
      validUntil: '2026-04-01',
      callerName: 'Demo housing subsidy approval system',
      organisation: { zh: '数据核验服务平台', en: 'Data Verification Service' },
      titles: {
        questions: { 'property.none': { zh: '名下无登记的不动产', en: 'Holds no registered property' } },
        purposes: { 'housing-subsidy': { zh: '住房补贴申请', en: 'Housing subsidy application' } }
      }
    }
  },
  'GET /openapi.json': {
    operationId: 'getOpenapi',
    summary: 'This document (OpenAPI 3.1)',
    response: { openapi: '3.1.0', info: { title: 'shifou', version: '1' }, paths: {} }
  }
}
