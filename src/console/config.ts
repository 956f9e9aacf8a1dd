/**
 * The console's configuration (design §14.4), read from the environment with the rest (src/config.ts):
 * OpenID Connect sign-in, the role mapping, the idle timeout, and whether the development sign-in
 * is offered (only on the embedded default with no OpenID Connect configured).
 */
import { ROLES, type Role } from '../principal.ts'

export interface OidcConfig {
  /** The provider's issuer URL; its discovery document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string
  clientId: string
  /** Absent: a public client (PKCE only, token endpoint auth "none"). */
  clientSecret: string | null
  /** The console's callback as registered with the provider: `https://…/console/oidc/callback`. */
  redirectUri: string
  scopes: string
  /** The ID token claim that holds the role (a string or an array of strings). */
  roleClaim: string
  /** Claim value → shifou role; a value not listed grants nothing. */
  roleMap: ReadonlyMap<string, ConsoleRole>
  deptClaim: string
  idNumberClaim: string
}

/** The console serves every role but `caller` (an approval system has no desk). */
export type ConsoleRole = Exclude<Role, 'caller'>
export const CONSOLE_ROLES: readonly ConsoleRole[] = ROLES.filter((r): r is ConsoleRole => r !== 'caller')

export interface ConsoleConfig {
  oidc: OidcConfig | null
  /** The clearly marked development sign-in: the embedded default without OpenID Connect only. */
  devSignIn: boolean
  idleSeconds: number
  maxSeconds: number
}

export const CONSOLE_DEFAULTS: ConsoleConfig = { oidc: null, devSignIn: false, idleSeconds: 900, maxSeconds: 43_200 }

export class ConsoleConfigError extends Error {}

function setting (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function claimName (name: string, value: string | undefined, fallback: string): string {
  const v = setting(value) ?? fallback
  if (!/^[\x21-\x7E]{1,64}$/.test(v)) throw new ConsoleConfigError(`${name} must be a claim name (printable ASCII)`)
  return v
}

/** SHIFOU_OIDC_ROLES: a JSON object from claim value to role; by default each role's own name maps to it. */
function roleMap (value: string | undefined): Map<string, ConsoleRole> {
  if (setting(value) === undefined) return new Map(CONSOLE_ROLES.map((r) => [r, r]))
  let parsed: unknown
  try { parsed = JSON.parse(value!) } catch {}
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConsoleConfigError('SHIFOU_OIDC_ROLES must be a JSON object {"claim value": "role"}')
  }
  const map = new Map<string, ConsoleRole>()
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string' || !(CONSOLE_ROLES as readonly string[]).includes(v)) {
      throw new ConsoleConfigError(`SHIFOU_OIDC_ROLES: "${k}" must map to one of ${CONSOLE_ROLES.join(', ')}`)
    }
    map.set(k, v as ConsoleRole)
  }
  return map
}

function httpUrl (name: string, value: string): string {
  let url: URL
  try { url = new URL(value) } catch { throw new ConsoleConfigError(`${name} must be an http(s) URL`) }
  if (!['http:', 'https:'].includes(url.protocol) || url.hash !== '') {
    throw new ConsoleConfigError(`${name} must be an http(s) URL without a fragment`)
  }
  return value
}

export function loadConsoleConfig (env: NodeJS.ProcessEnv, databaseUrl: string | null): ConsoleConfig {
  const issuer = setting(env.SHIFOU_OIDC_ISSUER)
  let oidc: OidcConfig | null = null
  if (issuer !== undefined) {
    const clientId = setting(env.SHIFOU_OIDC_CLIENT_ID)
    const redirectUri = setting(env.SHIFOU_OIDC_REDIRECT_URI)
    if (clientId === undefined) {
      throw new ConsoleConfigError('SHIFOU_OIDC_CLIENT_ID is required with SHIFOU_OIDC_ISSUER')
    }
    if (redirectUri === undefined) {
      throw new ConsoleConfigError('SHIFOU_OIDC_REDIRECT_URI is required with SHIFOU_OIDC_ISSUER ' +
        '(the console\'s https://…/console/oidc/callback, as registered with the provider)')
    }
    oidc = {
      issuer: httpUrl('SHIFOU_OIDC_ISSUER', issuer),
      clientId,
      clientSecret: setting(env.SHIFOU_OIDC_CLIENT_SECRET) ?? null,
      redirectUri: httpUrl('SHIFOU_OIDC_REDIRECT_URI', redirectUri),
      scopes: setting(env.SHIFOU_OIDC_SCOPES) ?? 'openid',
      roleClaim: claimName('SHIFOU_OIDC_ROLE_CLAIM', env.SHIFOU_OIDC_ROLE_CLAIM, 'role'),
      roleMap: roleMap(env.SHIFOU_OIDC_ROLES),
      deptClaim: claimName('SHIFOU_OIDC_DEPT_CLAIM', env.SHIFOU_OIDC_DEPT_CLAIM, 'dept'),
      idNumberClaim: claimName('SHIFOU_OIDC_ID_NUMBER_CLAIM', env.SHIFOU_OIDC_ID_NUMBER_CLAIM, 'idNumber')
    }
    if (!oidc.scopes.split(' ').includes('openid')) {
      throw new ConsoleConfigError('SHIFOU_OIDC_SCOPES must include openid')
    }
  }
  const idle = setting(env.SHIFOU_CONSOLE_IDLE_MINUTES) ?? '15'
  if (!/^\d{1,4}$/.test(idle) || Number(idle) < 1 || Number(idle) > 720) {
    throw new ConsoleConfigError('SHIFOU_CONSOLE_IDLE_MINUTES must be a whole number of minutes from 1 to 720')
  }
  return {
    oidc,
    devSignIn: oidc === null && databaseUrl === null,
    idleSeconds: Number(idle) * 60,
    maxSeconds: CONSOLE_DEFAULTS.maxSeconds
  }
}
