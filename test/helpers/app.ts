/**
 * build(t): the real application on a test database (PostgreSQL when DATABASE_URL is set,
 * otherwise PGlite), with fixed test keys, and helpers to mint tokens and call it.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/api/app.ts'
import { Keyring } from '../../src/keys/keyring.ts'
import { NO_RECEIPTS } from '../../src/receipts/issuer.ts'
import { mintToken, type TokenClaims } from '../../src/tokens.ts'
import type { Database } from '../../src/db/client.ts'
import type { WitnessConfig } from '../../src/config.ts'
import { testDatabase, type Teardown } from './db.ts'

export const TEST_SECRET = new Uint8Array(32).fill(7)
export const TEST_MASTER = new Uint8Array(32).fill(9)
export const TEST_CHECKPOINT_SEED = new Uint8Array(32).fill(5)
export const TEST_ORIGIN = 'test.shifou.local/audit'
export const ISSUER = 'shifou'

export interface TestApp {
  app: FastifyInstance
  database: Database
  keyring: Keyring
  token: (claims: TokenClaims, ttlSeconds?: number) => string
  /** inject with a bearer token for these claims */
  as: (claims: TokenClaims | string) => (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<LightMyRequestResponse>
}

export interface BuildOptions {
  database?: Database
  logger?: boolean | Record<string, unknown>
  masterKeys?: Map<number, Uint8Array>
  checkpointEntries?: number
  checkpointSeconds?: number
  /** SHIFOU_CONSENT_ISSUERS: a JSON file of consent issuers (test/consent) */
  consentIssuersFile?: string
  /** signed receipts on answers (default on) */
  receipts?: boolean
  /** SHIFOU_WITNESSES, as loaded (test/witness) */
  witnesses?: WitnessConfig[]
}

/** The configuration every test app is built with (tests that call buildApp themselves use it too). */
export function testAppConfig (opts: { checkpointEntries?: number, checkpointSeconds?: number } = {}) {
  return {
    issuer: ISSUER,
    jwtSecret: TEST_SECRET,
    jwtPublicKeysFile: null,
    logLevel: 'silent',
    checkpointKey: TEST_CHECKPOINT_SEED,
    auditOrigin: TEST_ORIGIN,
    checkpointEntries: opts.checkpointEntries ?? 1000,
    checkpointSeconds: opts.checkpointSeconds ?? 10
  }
}

export async function build (t: Teardown, opts: BuildOptions = {}): Promise<TestApp> {
  const database = opts.database ?? await testDatabase(t)
  const keyring = new Keyring(opts.masterKeys ?? new Map([[1, TEST_MASTER]]))
  const app = await buildApp({
    config: {
      ...testAppConfig(opts),
      ...(opts.consentIssuersFile === undefined ? {} : { consentIssuersFile: opts.consentIssuersFile }),
      ...(opts.witnesses === undefined ? {} : { witnesses: opts.witnesses })
    },
    database,
    keyring,
    logger: opts.logger ?? false,
    ...(opts.receipts === false ? { receipts: NO_RECEIPTS } : {})
  })
  await app.ready()
  t.teardown(async () => { await app.close() })
  const token = (claims: TokenClaims, ttl = 3600): string => mintToken(TEST_SECRET, ISSUER, claims, ttl)
  const as = (claims: TokenClaims | string) => async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const bearer = typeof claims === 'string' ? claims : token(claims)
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body)
    return await app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: 'Bearer ' + bearer, ...(body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload === undefined ? {} : { payload })
    })
  }
  return { app, database, keyring, token, as }
}

export const ADMIN: TokenClaims = { sub: 'ops-1', role: 'admin' }
export const AUDITOR: TokenClaims = { sub: 'aud-1', role: 'auditor' }
