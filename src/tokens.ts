/**
 * Development tokens (design §5, `shifou token`): HS256 JWTs signed with SHIFOU_JWT_SECRET, with
 * the claims the service requires. Production tokens come from the identity provider.
 */
import { createSigner } from 'fast-jwt'
import type { Role } from './principal.ts'

export interface TokenClaims {
  sub: string
  role: Role
  dept?: string
  idNumber?: string
}

/** `ttl` like 30s, 15m, 1h, 7d. */
export function parseTtl (ttl: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(ttl)
  if (m === null) throw new Error('ttl must look like 30s, 15m, 1h or 7d')
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd']
}

export function mintToken (secret: Uint8Array, issuer: string, claims: TokenClaims, ttlSeconds = 3600): string {
  const sign = createSigner({
    key: Buffer.from(secret), algorithm: 'HS256', iss: issuer, aud: 'shifou', expiresIn: ttlSeconds * 1000
  })
  return sign({ ...claims })
}
