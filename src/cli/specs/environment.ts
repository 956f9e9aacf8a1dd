/**
 * The environment variables, described once for every command's --help (the full table, with
 * defaults and what to keep secret, is in docs/operations.md).
 */
import type { EnvironmentSpec } from '../spec.ts'

const v = (name: string, description: string): EnvironmentSpec => ({ name, description })

export const DATABASE = [
  v('DATABASE_URL', 'PostgreSQL URL; unset: the embedded database (PGlite) in SHIFOU_DATA_DIR'),
  v('SHIFOU_DATA_DIR', 'the embedded database and its generated development secrets (default ./.shifou)')
]

export const MASTER_KEY = [
  v('SHIFOU_MASTER_KEY', 'base64 of at least 32 random bytes: master key version 1 (required with DATABASE_URL)'),
  v('SHIFOU_MASTER_KEY_V2, _V3…', 'newer master key versions; the newest hashes new loads')
]

export const JWT = [
  v('SHIFOU_JWT_SECRET', 'base64 of at least 32 bytes: signs and checks HS256 development tokens'),
  v('SHIFOU_JWT_ISSUER', 'the tokens\' required iss (default shifou)'),
  v('SHIFOU_JWT_MAX_TTL', 'the longest a token may live, exp − iat (default 24h; 30s, 15m, 24h, 7d or seconds)')
]

export const CHECKPOINT = [
  v('SHIFOU_CHECKPOINT_KEY', 'base64 of the 32-byte Ed25519 seed that signs audit checkpoints'),
  v('SHIFOU_AUDIT_ORIGIN', 'the audit log\'s name, first line of its checkpoints (default shifou.local/audit)')
]

/** Everything the service reads at start (src/config.ts). */
export const SERVICE = [
  ...DATABASE,
  v('HOST', 'the address to listen on (default 127.0.0.1)'),
  v('PORT', 'the port to listen on (default 8080)'),
  ...MASTER_KEY,
  ...JWT,
  v('SHIFOU_JWT_PUBLIC_KEYS', 'a JWKS file of the identity provider; when set, only its keys are accepted'),
  v('SHIFOU_JWT_MAX_TTL', 'the longest a bearer token may live, exp − iat (30s, 15m, 24h, 7d or seconds; ' +
  'default 24h): longer is refused, 401 TOKEN_LIFETIME_TOO_LONG'),
  ...CHECKPOINT,
  v('SHIFOU_CHECKPOINT_ENTRIES', 'a signed checkpoint at least every N audit entries (default 1000)'),
  v('SHIFOU_CHECKPOINT_SECONDS', '… or every N seconds (default 10)'),
  v('SHIFOU_RECEIPT_ISSUER', 'the iss of receipts (default the audit origin)'),
  v('SHIFOU_CONSENT_ISSUERS', 'a JSON file of consent issuers and their public keys'),
  v('SHIFOU_WITNESSES', 'a JSON file of witnesses to send every checkpoint to'),
  v('SHIFOU_DB_POOL_SIZE', 'PostgreSQL connections of this process (default 10)'),
  v('SHIFOU_DB_TIMEOUT_MS', 'how long a request may wait on the database, then 503 (default 5000)'),
  v('SHIFOU_AGENT_TIMEOUT_MS', 'how long the hub waits for a department agent, then 503 (default 2000)'),
  v('LOG_LEVEL', 'fatal, error, warn, info (default), debug, trace or silent')
]

/** Where a command that talks to a running service finds it. */
export const SERVICE_URL = [
  v('SHIFOU_URL', 'the service\'s base URL when --url is not given'),
  v('PORT', 'without --url and SHIFOU_URL, the service is http://127.0.0.1:$PORT (default 8080)')
]

/** How such a command gets a token when --token is not given. */
export const TOKEN = [
  v('SHIFOU_TOKEN', 'the bearer token when --token is not given'),
  v('SHIFOU_JWT_SECRET', 'without a token, one is minted with this secret (or the embedded database\'s ' +
  'generated one in SHIFOU_DATA_DIR, when DATABASE_URL is unset)'),
  v('SHIFOU_JWT_ISSUER', 'the iss of a minted token (default shifou)')
]
