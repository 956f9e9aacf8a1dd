/**
 * The HTTP application: one plugin per concern, registered in dependency order (each declares
 * the plugins it needs), then the routes (routes/index.ts, filed by URL). Built from a database
 * and a keyring that the caller opened, so tests, benchmarks and the server share one construction.
 */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { DEFAULT_JWT_MAX_TTL_S, type Config } from '../config.ts'
import type { Database } from '../db/client.ts'
import type { Keyring } from '../keys/keyring.ts'
import type { Admission } from '../abuse/admission.ts'
import type { ReceiptIssuer } from '../receipts/issuer.ts'
import { Problem } from './schemas/common.ts'
import { ed25519SignerFromSeed } from '../crypto/signed-note.ts'
import database from './plugins/database.ts'
import keys from './plugins/keys.ts'
import events from './plugins/events.ts'
import registry from './plugins/registry.ts'
import scheduler from './plugins/sync.ts'
import audit from './plugins/audit.ts'
import receipts from './plugins/receipts.ts'
import consent from './plugins/consent.ts'
import records from './plugins/records.ts'
import limits from './plugins/limits.ts'
import errors, { clientErrorHandler, frameworkErrors } from './plugins/errors.ts'
import openapi from './plugins/openapi.ts'
import auth from './plugins/auth.ts'
import sessions from './plugins/sessions.ts'
import json from './plugins/json.ts'
import witnesses from './plugins/witnesses.ts'
import metrics from './plugins/metrics.ts'
import closing from './plugins/closing.ts'
import idempotency from './plugins/idempotency.ts'
import unreadBodies from './plugins/unread-bodies.ts'
import certificates from './plugins/certificates.ts'
import routes from './routes/index.ts'

/** The configuration the app needs (src/config.ts); the rest of Config is the CLI's. */
type AppConfig = Pick<Config, 'issuer' | 'jwtSecret' | 'jwtPublicKeysFile' | 'logLevel' | 'checkpointKey'
  | 'auditOrigin' | 'checkpointEntries' | 'checkpointSeconds'>
  & Partial<Pick<Config, 'receiptIssuer' | 'consentIssuersFile' | 'witnesses' | 'jwtMaxTtlSeconds' | 'console'
  | 'certificate' | 'agentTimeoutMs'>>

export interface AppOptions {
  config: AppConfig
  database: Database
  keyring: Keyring
  ownsDatabase?: boolean
  /** A pino logger configuration, or false (benchmarks, tests). */
  logger?: boolean | Record<string, unknown>
  registryTtlMs?: number
  /** Replaces the limiter and detectors: benchmarks inject ADMIT_ALL to measure what they cost. */
  admission?: Admission
  /** Replaces the receipt signer: the receipt benchmark injects NO_RECEIPTS. */
  receipts?: ReceiptIssuer
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

/** The route a request matched, or null (none matched, or refused before routing). */
function routePattern (req: { routeOptions?: { url?: string } }): string | null {
  try {
    return req.routeOptions?.url ?? null
  } catch {
    return null
  }
}

export function loggerOptions (level: string): Record<string, unknown> {
  return {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: {
      // The route's pattern (/v1/audit/entries/:index), never the path a client sent: a path may
      // carry an ID number (design §14.5), and one that matches no route is logged as null. The
      // query string is never logged, only that there was one: it may carry case ids or filters.
      req: (req: { method: string, url?: string, id?: string, routeOptions?: { url?: string } }) => ({
        id: req.id,
        method: req.method,
        route: routePattern(req),
        ...(req.url?.includes('?') === true ? { query: '[redacted]' } : {})
      }),
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
    // The closing plugin answers while closing, with a problem body (SHUTTING_DOWN); requests that
    // fail before routing get problem bodies too.
    return503OnClosing: false,
    frameworkErrors,
    clientErrorHandler,
    ajv: {
      // Types are never coerced and unknown fields are refused, not silently dropped. `verbose` gives
      // each error its schema, so that a refusal can say what is expected and which fields exist.
      customOptions: {
        coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, verbose: true
      }
    }
  }).withTypeProvider<TypeBoxTypeProvider>()

  if (opts.onRoute !== undefined) app.addHook('onRoute', opts.onRoute)
  app.addSchema(Problem)
  const checkpoints = {
    signer: ed25519SignerFromSeed(opts.config.auditOrigin, opts.config.checkpointKey),
    origin: opts.config.auditOrigin,
    everyEntries: opts.config.checkpointEntries,
    everyMs: opts.config.checkpointSeconds * 1000
  }
  await app.register(database, { database: opts.database, ownsDatabase: opts.ownsDatabase ?? false })
  await app.register(keys, { keyring: opts.keyring })
  await app.register(events)
  await app.register(registry, opts.registryTtlMs === undefined ? {} : { ttlMs: opts.registryTtlMs })
  await app.register(audit, { checkpoints })
  await app.register(receipts, {
    issuer: opts.config.receiptIssuer ?? opts.config.auditOrigin,
    log: opts.config.auditOrigin,
    ...(opts.receipts === undefined ? {} : { override: opts.receipts })
  })
  await app.register(idempotency)
  await app.register(certificates, opts.config.certificate === undefined ? {} : { config: opts.config.certificate })
  await app.register(consent, { issuersFile: opts.config.consentIssuersFile ?? null })
  await app.register(records, { agentTimeoutMs: opts.config.agentTimeoutMs })
  await app.register(limits, opts.admission === undefined ? {} : { override: opts.admission })
  await app.register(witnesses, { witnesses: opts.config.witnesses ?? [] })
  await app.register(scheduler)
  await app.register(errors)
  await app.register(closing)
  await app.register(unreadBodies)
  await app.register(openapi)
  await app.register(sessions, opts.config.console === undefined ? {} : { console: opts.config.console })
  await app.register(auth, {
    issuer: opts.config.issuer,
    secret: opts.config.jwtSecret,
    maxTtlSeconds: opts.config.jwtMaxTtlSeconds ?? DEFAULT_JWT_MAX_TTL_S,
    publicKeysFile: opts.config.jwtPublicKeysFile
  })
  await app.register(json)
  await app.register(metrics)
  await app.register(routes)
  return app
}
