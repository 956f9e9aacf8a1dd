/**
 * The HTTP application: plugins first (services, errors, auth, JSON, metrics, OpenAPI), then the
 * routes. Built from a database and a keyring that the caller opened, so tests and the server
 * share one construction.
 */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from '../config.ts'
import type { Database } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import { Problem } from './schemas/common.ts'
import { signerFromSeed } from '../audit/checkpoint-note.ts'
import services from './plugins/services.ts'
import errors from './plugins/errors.ts'
import auth from './plugins/auth.ts'
import json from './plugins/json.ts'
import metrics from './plugins/metrics.ts'
import openapi from './plugins/openapi.ts'
import closing from './plugins/closing.ts'
import ops from './routes/ops.ts'
import departments from './routes/v1/departments.ts'
import connectors from './routes/v1/connectors.ts'
import questions from './routes/v1/questions.ts'
import clients from './routes/v1/clients.ts'
import verifications from './routes/v1/verifications.ts'
import audit from './routes/v1/audit.ts'
import log from './routes/v1/log.ts'
import alerts from './routes/v1/alerts.ts'
import receipts from './routes/v1/receipts.ts'
import me from './routes/v1/me.ts'
import wellKnown from './routes/well-known.ts'

export interface AppOptions {
  config: Pick<Config, 'issuer' | 'jwtSecret' | 'jwtPublicKeysFile' | 'logLevel' | 'checkpointKey' | 'auditOrigin' | 'checkpointEntries' | 'checkpointSeconds'> &
    Partial<Pick<Config, 'receiptIssuer' | 'consentIssuersFile'>>
  database: Database
  keyring: Keyring
  ownsDatabase?: boolean
  /** A pino logger configuration, or false (benchmarks, tests). */
  logger?: boolean | Record<string, unknown>
  registryTtlMs?: number
  /** Per-client limits and abuse detectors; on unless a benchmark switches them off. */
  limits?: boolean
  /** Signed receipts on answers; on unless the receipt benchmark switches them off. */
  receipts?: boolean
  /**
   * Sees every route as it is registered (before any plugin's own onRoute hook has run, so read
   * `config` after `ready()`); the route-inventory test uses it to walk the route table.
   */
  onRoute?: (route: RouteOptions) => void
}

/** Log redaction: tokens, identifiers and names never reach a log line. */
export const REDACT = [
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
  '*.idNumber', '*.name', '*.subject', 'body', 'req.body', 'req.query', 'res.body'
]

export function loggerOptions (level: string): Record<string, unknown> {
  return {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      // The path without its query string: query strings may carry case ids or filters.
      req: (req: { method: string, url: string, id: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode })
    }
  }
}

export async function buildApp (opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === undefined ? loggerOptions(opts.config.logLevel) : opts.logger,
    bodyLimit: 1024 * 1024,
    requestTimeout: 0,
    connectionTimeout: 60_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    ajv: {
      // Types are never coerced and unknown fields are refused, not silently dropped.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false }
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  if (opts.onRoute !== undefined) app.addHook('onRoute', opts.onRoute)
  app.addSchema(Problem)
  const checkpoints = {
    signer: signerFromSeed(opts.config.auditOrigin, opts.config.checkpointKey),
    origin: opts.config.auditOrigin,
    everyEntries: opts.config.checkpointEntries,
    everyMs: opts.config.checkpointSeconds * 1000
  }
  await app.register(services, {
    database: opts.database,
    keyring: opts.keyring,
    ownsDatabase: opts.ownsDatabase ?? false,
    checkpoints,
    limits: opts.limits !== false,
    receipts: opts.receipts === false ? false : { issuer: opts.config.receiptIssuer ?? opts.config.auditOrigin, log: opts.config.auditOrigin },
    consentIssuersFile: opts.config.consentIssuersFile ?? null,
    ...(opts.registryTtlMs === undefined ? {} : { registryTtlMs: opts.registryTtlMs })
  })
  await app.register(errors)
  await app.register(openapi)
  await app.register(auth, { issuer: opts.config.issuer, secret: opts.config.jwtSecret, publicKeysFile: opts.config.jwtPublicKeysFile })
  await app.register(json)
  await app.register(metrics)
  await app.register(closing)

  await app.register(ops)
  await app.register(departments)
  await app.register(connectors)
  await app.register(questions)
  await app.register(clients)
  await app.register(verifications)
  await app.register(audit)
  await app.register(log)
  await app.register(alerts)
  await app.register(receipts)
  await app.register(me)
  await app.register(wellKnown)
  return app
}
