/**
 * build(t): the real application on a test database (PostgreSQL when DATABASE_URL is set,
 * otherwise PGlite), with fixed test keys, and helpers to mint tokens and call it.
 */
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify'
import { buildApp } from '../../src/api/app.ts'
import { Keyring } from '../../src/keys/keyring.ts'
import { NO_RECEIPTS } from '../../src/receipts/issuer.ts'
import { mintToken, type TokenClaims } from '../../src/tokens.ts'
import type { Database } from '../../src/db/client.ts'
import type { WitnessConfig } from '../../src/config.ts'
import type { ConsoleConfig } from '../../src/console/config.ts'
import type { Admission } from '../../src/abuse/admission.ts'
import { testDatabase, type Teardown } from './db.ts'
import { verification, type Ask, type Verified } from './verifications.ts'

export { ADMIN, AUDITOR, CALLER } from './claims.ts'

export const TEST_SECRET = new Uint8Array(32).fill(7)
export const TEST_MASTER = new Uint8Array(32).fill(9)
export const TEST_CHECKPOINT_SEED = new Uint8Array(32).fill(5)
export const TEST_ORIGIN = 'test.shifou.local/audit'
export const ISSUER = 'shifou'

/** A request with a bearer token: method, URL, body (an object is sent as JSON), extra headers. */
export type Call = (
  method: string,
  url: string,
  body?: unknown,
  headers?: Record<string, string>
) => Promise<LightMyRequestResponse>

export interface TestApp {
  app: FastifyInstance
  database: Database
  keyring: Keyring
  token: (claims: TokenClaims, ttlSeconds?: number) => string
  /** inject with a bearer token for these claims (or this token) */
  as: (claims: TokenClaims | string) => Call
  /** POST /v1/verifications as `claims` (see verification() for the defaults) */
  ask: (claims: TokenClaims, a: Ask) => Promise<LightMyRequestResponse>
  /** …and the verification answered (its id and answers); throws with the response unless it is 200 */
  verified: (claims: TokenClaims, a: Ask) => Promise<Verified>
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
  /** sees every route as it is registered (the route-inventory test) */
  onRoute?: (route: RouteOptions) => void
  /** SHIFOU_WITNESSES, as loaded (test/witness) */
  witnesses?: WitnessConfig[]
  /** replaces the limiter and detectors (ADMIT_ALL: what the benchmarks run without limits) */
  admission?: Admission
  /** the console's sign-in and sessions (default: neither OpenID Connect nor the development sign-in) */
  console?: ConsoleConfig
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

const isRaw = (body: unknown): body is string | Buffer => typeof body === 'string' || Buffer.isBuffer(body)

export async function build (t: Teardown, opts: BuildOptions = {}): Promise<TestApp> {
  const database = opts.database ?? await testDatabase(t)
  const keyring = new Keyring(opts.masterKeys ?? new Map([[1, TEST_MASTER]]))
  const app = await buildApp({
    config: {
      ...testAppConfig(opts),
      ...(opts.consentIssuersFile === undefined ? {} : { consentIssuersFile: opts.consentIssuersFile }),
      ...(opts.witnesses === undefined ? {} : { witnesses: opts.witnesses }),
      ...(opts.console === undefined ? {} : { console: opts.console })
    },
    database,
    keyring,
    logger: opts.logger ?? false,
    ...(opts.receipts === false ? { receipts: NO_RECEIPTS } : {}),
    ...(opts.onRoute === undefined ? {} : { onRoute: opts.onRoute }),
    ...(opts.admission === undefined ? {} : { admission: opts.admission })
  })
  await app.ready()
  t.teardown(async () => { await app.close() })
  const token = (claims: TokenClaims, ttl = 3600): string => mintToken(TEST_SECRET, ISSUER, claims, ttl)
  const as = (claims: TokenClaims | string): Call => async (method, url, body, headers = {}) => {
    const bearer = typeof claims === 'string' ? claims : token(claims)
    const json = body !== undefined && !isRaw(body)
    return await app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: 'Bearer ' + bearer,
        ...(json ? { 'content-type': 'application/json' } : {}),
        ...headers
      },
      ...(body === undefined ? {} : { payload: json ? JSON.stringify(body) : body })
    })
  }
  const ask = async (claims: TokenClaims, a: Ask): Promise<LightMyRequestResponse> =>
    await as(claims)('POST', '/v1/verifications', verification(a))
  const verified = async (claims: TokenClaims, a: Ask): Promise<Verified> => {
    const res = await ask(claims, a)
    if (res.statusCode !== 200) throw new Error(`verification refused (${res.statusCode}): ${res.body}`)
    return res.json()
  }
  return { app, database, keyring, token, as, ask, verified }
}
