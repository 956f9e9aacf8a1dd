/**
 * The bearer token of a command that talks to the service: --token, else SHIFOU_TOKEN, else one
 * minted for the occasion from the JWT secret this machine's service uses (SHIFOU_JWT_SECRET, or
 * the embedded default's generated secret). Unlike the service, it never generates a secret: a
 * token under a new secret would only be refused.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { decodeSecret } from '../config.ts'
import { mintToken, type TokenClaims } from '../tokens.ts'

/** A variable's value, or undefined when it is unset or empty (as the service reads them). */
function setting (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

export function jwtSecret (env: NodeJS.ProcessEnv): Uint8Array | undefined {
  const secret = setting(env, 'SHIFOU_JWT_SECRET')
  if (secret !== undefined) return decodeSecret('SHIFOU_JWT_SECRET', secret)
  if (setting(env, 'DATABASE_URL') !== undefined) return undefined
  const file = join(resolve(setting(env, 'SHIFOU_DATA_DIR') ?? './.shifou'), 'jwt.secret')
  return existsSync(file) ? decodeSecret('SHIFOU_JWT_SECRET', readFileSync(file, 'utf8')) : undefined
}

export function jwtIssuer (env: NodeJS.ProcessEnv): string {
  return setting(env, 'SHIFOU_JWT_ISSUER') ?? 'shifou'
}

export function bearerToken (
  flag: string | undefined, env: NodeJS.ProcessEnv, mint: TokenClaims, ttlSeconds: number
): string | undefined {
  const given = flag !== undefined && flag !== '' ? flag : setting(env, 'SHIFOU_TOKEN')
  if (given !== undefined) return given
  const secret = jwtSecret(env)
  return secret === undefined ? undefined : mintToken(secret, jwtIssuer(env), mint, ttlSeconds)
}
