/**
 * Configuration from the environment (design §5, "Configuration"), validated once at start.
 * Invalid or missing settings stop the service with a message that names the variable, never
 * its value.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { DEFAULT_DB_TIMEOUT_MS } from './db/timeouts.ts'
import { parseTtl } from './tokens.ts'
import { parseCosignatureV1VerifierKey } from './crypto/cosignature.ts'
import { type Ed25519Verifier, parseVerifierKey } from './crypto/signed-note.ts'
import { type ConsoleConfig, ConsoleConfigError, loadConsoleConfig } from './console/config.ts'
import {
  type CertificateConfig, CertificateConfigError, loadCertificateConfig
} from './receipts/certificate-config.ts'

/** A witness the service sends its checkpoints to (SHIFOU_WITNESSES, design §14.5). */
export interface WitnessConfig {
  /** A label for logs and metrics. */
  name: string
  /** The witness's submission prefix (`<url>/add-checkpoint`). */
  url: string
  /** Its cosignature/v1 key, from `verifierKey`. */
  key: Ed25519Verifier
}

export interface Config {
  databaseUrl: string | null
  dataDir: string
  host: string
  port: number
  issuer: string
  jwtSecret: Uint8Array
  jwtPublicKeysFile: string | null
  /** SHIFOU_JWT_MAX_TTL: the longest a bearer token may live (exp − iat), in seconds. */
  jwtMaxTtlSeconds: number
  /** Master key versions, newest last; the newest is used for new loads. */
  masterKeys: ReadonlyMap<number, Uint8Array>
  /** Ed25519 seed (32 bytes) of the checkpoint signing key. */
  checkpointKey: Uint8Array
  /** The audit log's identity, first line of its checkpoints. */
  auditOrigin: string
  checkpointEntries: number
  checkpointSeconds: number
  /** `iss` of receipts (default: the audit origin). */
  receiptIssuer: string
  /** A JSON file of consent issuers and their public keys (src/consent/issuers.ts), or null. */
  consentIssuersFile: string | null
  /** SHIFOU_WITNESSES: the witnesses to send checkpoints to (none if unset). */
  witnesses: WitnessConfig[]
  logLevel: string
  poolSize: number
  /** How long a request may wait on the database (design §14.5), in milliseconds. */
  dbTimeoutMs: number
  /** How long the hub waits for a department agent's answer (design §14.3), in milliseconds. */
  agentTimeoutMs: number
  /** Where the embedded default generated secrets, for the start-up warning. */
  generatedSecrets: string[]
  /** The console's sign-in and sessions (src/console/config.ts). */
  console: ConsoleConfig
  /** What printed certificates say about their issuer (src/receipts/certificate-config.ts). */
  certificate: CertificateConfig
}

export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** Design §14.5: a bearer token lives at most a day unless the operator says otherwise. */
export const DEFAULT_JWT_MAX_TTL_S = 24 * 3600

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

/** Decodes a base64 secret of at least 32 bytes; the message names the variable only. */
export function decodeSecret (name: string, value: string): Uint8Array {
  const trimmed = value.trim()
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new ConfigError(`${name} must be base64`)
  const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64')
  if (bytes.length < 32) throw new ConfigError(`${name} must decode to at least 32 bytes (got ${bytes.length})`)
  return new Uint8Array(bytes)
}

/** A variable's value, or undefined when it is unset or empty: an empty variable means the default. */
function setting (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function intSetting (name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be an integer`)
  const n = Number(value)
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}`)
  return n
}

/** A lifetime like 30s, 15m, 24h, 7d, or a number of seconds; at least 1 s, at most 365 days. */
function ttlSetting (name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback
  let seconds: number
  try {
    seconds = /^\d+$/.test(value) ? Number(value) : parseTtl(value)
  } catch {
    throw new ConfigError(`${name} must be a number of seconds or look like 30s, 15m, 24h or 7d`)
  }
  if (seconds < 1 || seconds > 365 * 86400) throw new ConfigError(`${name} must be between 1s and 365d`)
  return seconds
}

/** Reads a secret file of the embedded default, creating it with fresh random bytes when absent. */
function embeddedSecret (dataDir: string, file: string, generated: string[]): string {
  const path = join(dataDir, file)
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    writeFileSync(path, randomBytes(32).toString('base64') + '\n', { mode: 0o600 })
    generated.push(path)
  }
  return readFileSync(path, 'utf8')
}

/**
 * Master key versions: `SHIFOU_MASTER_KEY` is version 1; `SHIFOU_MASTER_KEY_V2`, `_V3`, … add
 * newer versions for rotation (design §3). Versions must be contiguous from 1.
 */
function masterKeys (env: NodeJS.ProcessEnv, v1: string): Map<number, Uint8Array> {
  const keys = new Map<number, Uint8Array>([[1, decodeSecret('SHIFOU_MASTER_KEY', v1)]])
  for (let v = 2; env[`SHIFOU_MASTER_KEY_V${v}`] !== undefined; v++) {
    keys.set(v, decodeSecret(`SHIFOU_MASTER_KEY_V${v}`, env[`SHIFOU_MASTER_KEY_V${v}`] as string))
  }
  return keys
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = setting(env.DATABASE_URL) ?? null
  const dataDir = resolve(setting(env.SHIFOU_DATA_DIR) ?? './.shifou')
  const generated: string[] = []

  let master = env.SHIFOU_MASTER_KEY
  let jwt = env.SHIFOU_JWT_SECRET
  let checkpointKey = env.SHIFOU_CHECKPOINT_KEY
  if (databaseUrl !== null) {
    // With a real database the keys are production secrets: never invent them.
    if (master === undefined || master === '') {
      throw new ConfigError('SHIFOU_MASTER_KEY is required when DATABASE_URL is set')
    }
    if ((jwt === undefined || jwt === '') && !env.SHIFOU_JWT_PUBLIC_KEYS) {
      throw new ConfigError('SHIFOU_JWT_SECRET or SHIFOU_JWT_PUBLIC_KEYS is required when DATABASE_URL is set')
    }
    if (checkpointKey === undefined || checkpointKey === '') {
      throw new ConfigError('SHIFOU_CHECKPOINT_KEY is required when DATABASE_URL is set')
    }
  } else {
    if (master === undefined || master === '') master = embeddedSecret(dataDir, 'master.key', generated)
    if (jwt === undefined || jwt === '') jwt = embeddedSecret(dataDir, 'jwt.secret', generated)
    if (checkpointKey === undefined || checkpointKey === '') {
      checkpointKey = embeddedSecret(dataDir, 'checkpoint.key', generated)
    }
  }
  const seed = decodeSecret('SHIFOU_CHECKPOINT_KEY', checkpointKey)
  if (seed.length !== 32) throw new ConfigError('SHIFOU_CHECKPOINT_KEY must be exactly 32 bytes (an Ed25519 seed)')
  const origin = setting(env.SHIFOU_AUDIT_ORIGIN) ?? 'shifou.local/audit'
  if (!/^[\x21-\x7E]{1,200}$/.test(origin) || origin.includes('+')) {
    throw new ConfigError('SHIFOU_AUDIT_ORIGIN must be printable ASCII without spaces or +')
  }

  const receiptIssuer = setting(env.SHIFOU_RECEIPT_ISSUER) ?? origin
  if (!/^[\x21-\x7E]{1,200}$/.test(receiptIssuer)) {
    throw new ConfigError('SHIFOU_RECEIPT_ISSUER must be printable ASCII without spaces')
  }
  const consentIssuers = setting(env.SHIFOU_CONSENT_ISSUERS)
  const consentIssuersFile = consentIssuers === undefined ? null : resolve(consentIssuers)
  if (consentIssuersFile !== null && !existsSync(consentIssuersFile)) {
    throw new ConfigError('SHIFOU_CONSENT_ISSUERS names a file that does not exist')
  }

  const witnessesFile = setting(env.SHIFOU_WITNESSES)
  const witnesses = witnessesFile === undefined ? [] : loadWitnesses(resolve(witnessesFile))

  const logLevel = setting(env.LOG_LEVEL) ?? 'info'
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError('LOG_LEVEL must be one of ' + [...LOG_LEVELS].join(', '))

  return {
    databaseUrl,
    dataDir,
    host: setting(env.HOST) ?? '127.0.0.1',
    port: intSetting('PORT', env.PORT, 8080, 0, 65535),
    issuer: setting(env.SHIFOU_JWT_ISSUER) ?? 'shifou',
    jwtSecret: jwt !== undefined && jwt !== '' ? decodeSecret('SHIFOU_JWT_SECRET', jwt) : new Uint8Array(0),
    jwtPublicKeysFile: setting(env.SHIFOU_JWT_PUBLIC_KEYS) ?? null,
    jwtMaxTtlSeconds: ttlSetting('SHIFOU_JWT_MAX_TTL', env.SHIFOU_JWT_MAX_TTL, DEFAULT_JWT_MAX_TTL_S),
    masterKeys: masterKeys(env, master),
    checkpointKey: seed,
    auditOrigin: origin,
    checkpointEntries: intSetting('SHIFOU_CHECKPOINT_ENTRIES', env.SHIFOU_CHECKPOINT_ENTRIES, 1000, 1, 10_000_000),
    checkpointSeconds: intSetting('SHIFOU_CHECKPOINT_SECONDS', env.SHIFOU_CHECKPOINT_SECONDS, 10, 1, 86_400),
    receiptIssuer,
    consentIssuersFile,
    witnesses,
    logLevel,
    poolSize: intSetting('SHIFOU_DB_POOL_SIZE', env.SHIFOU_DB_POOL_SIZE, 10, 1, 200),
    // Under 100 ms a busy but healthy database would be refused; over 10 minutes nobody is waiting.
    dbTimeoutMs: intSetting('SHIFOU_DB_TIMEOUT_MS', env.SHIFOU_DB_TIMEOUT_MS, DEFAULT_DB_TIMEOUT_MS, 100, 600_000),
    agentTimeoutMs: intSetting('SHIFOU_AGENT_TIMEOUT_MS', env.SHIFOU_AGENT_TIMEOUT_MS, 2000, 50, 60_000),
    generatedSecrets: generated,
    console: consoleSettings(env, databaseUrl),
    certificate: certificateSettings(env)
  }
}

function certificateSettings (env: NodeJS.ProcessEnv): CertificateConfig {
  try {
    return loadCertificateConfig(env)
  } catch (err) {
    throw err instanceof CertificateConfigError ? new ConfigError(err.message) : err
  }
}

function consoleSettings (env: NodeJS.ProcessEnv, databaseUrl: string | null): ConsoleConfig {
  try {
    return loadConsoleConfig(env, databaseUrl)
  } catch (err) {
    throw err instanceof ConsoleConfigError ? new ConfigError(err.message) : err
  }
}

/**
 * SHIFOU_WITNESSES: a JSON file `[{"name", "url", "verifierKey"}]`. Every mistake stops the start
 * with the entry's position and what to fix: a witness silently left out would leave the log
 * unwitnessed without anyone noticing.
 */
export function loadWitnesses (file: string): WitnessConfig[] {
  const where = 'SHIFOU_WITNESSES'
  if (!existsSync(file)) throw new ConfigError(`${where} names a file that does not exist`)
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new ConfigError(`${where} must be a JSON file: [{"name", "url", "verifierKey"}]`)
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${where} must hold a JSON array of {"name", "url", "verifierKey"}`)
  const witnesses = parsed.map((entry: unknown, i): WitnessConfig => {
    const at = `${where} entry ${i}`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new ConfigError(`${at} must be an object {"name", "url", "verifierKey"}`)
    }
    const e = entry as Record<string, unknown>
    const unknown = Object.keys(e).find((k) => !['name', 'url', 'verifierKey'].includes(k))
    if (unknown !== undefined) {
      throw new ConfigError(`${at} has an unknown field "${unknown}" (allowed: name, url, verifierKey)`)
    }
    if (typeof e.name !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(e.name)) {
      throw new ConfigError(`${at}: name must be 1–64 of a-z, 0-9, _ . - (it labels logs and metrics)`)
    }
    let url: URL | null = null
    try { url = typeof e.url === 'string' ? new URL(e.url) : null } catch {}
    if (url === null || !['http:', 'https:'].includes(url.protocol) || url.username !== '' || url.password !== '' ||
      url.search !== '' || url.hash !== '') {
      throw new ConfigError(`${at} (${e.name}): url must be the witness's http(s) URL prefix, ` +
        'without credentials, query or fragment')
    }
    const key = typeof e.verifierKey === 'string' ? parseCosignatureV1VerifierKey(e.verifierKey) : null
    if (key === null) {
      const other = typeof e.verifierKey === 'string' ? parseVerifierKey(e.verifierKey) : null
      const what = other !== null
        ? `(signature type 0x04; this one has type 0x${other.type.toString(16).padStart(2, '0')})`
        : '(name+hex key ID+base64 key)'
      throw new ConfigError(`${at} (${e.name}): verifierKey must be the witness's cosignature/v1 verifier key ` +
        what + ', as `shifou witness public-key` prints it')
    }
    return { name: e.name, url: url.toString(), key }
  })
  const names = witnesses.map((w) => w.name)
  const duplicate = names.find((n, i) => names.indexOf(n) !== i)
  if (duplicate !== undefined) throw new ConfigError(`${where}: the name ${duplicate} is used twice`)
  const keys = witnesses.map((w) => `${w.key.name} ${Buffer.from(w.key.publicKey).toString('hex')}`)
  if (keys.some((k, i) => keys.indexOf(k) !== i)) {
    throw new ConfigError(`${where}: the same witness key is listed twice`)
  }
  return witnesses
}

/** Loads `.env` from the working directory when present (design §5: ".env supported"). */
export function loadDotEnv (path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path)
}

/**
 * Only where the database and the audit log are (and the witnesses the service feeds), for
 * commands that need no secret (`shifou audit verify --key`): an auditor checking the log is not
 * asked for the master key.
 */
export function loadLogLocation (
  env: NodeJS.ProcessEnv = process.env
): Pick<Config, 'databaseUrl' | 'dataDir' | 'auditOrigin' | 'witnesses' | 'dbTimeoutMs'> {
  const given = env.SHIFOU_AUDIT_ORIGIN
  const origin = given !== undefined && given !== '' ? given : 'shifou.local/audit'
  if (!/^[\x21-\x7E]{1,200}$/.test(origin) || origin.includes('+')) {
    throw new ConfigError('SHIFOU_AUDIT_ORIGIN must be printable ASCII without spaces or +')
  }
  const witnessesFile = env.SHIFOU_WITNESSES && env.SHIFOU_WITNESSES !== '' ? resolve(env.SHIFOU_WITNESSES) : null
  return {
    databaseUrl: env.DATABASE_URL && env.DATABASE_URL !== '' ? env.DATABASE_URL : null,
    dataDir: resolve(env.SHIFOU_DATA_DIR && env.SHIFOU_DATA_DIR !== '' ? env.SHIFOU_DATA_DIR : './.shifou'),
    auditOrigin: origin,
    witnesses: witnessesFile === null ? [] : loadWitnesses(witnessesFile),
    dbTimeoutMs: intSetting('SHIFOU_DB_TIMEOUT_MS', env.SHIFOU_DB_TIMEOUT_MS, DEFAULT_DB_TIMEOUT_MS, 100, 600_000)
  }
}
