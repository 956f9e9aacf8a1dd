/** `shifou token`: a development token signed with SHIFOU_JWT_SECRET (specs/token.ts). */
import { loadConfig, loadDotEnv } from '../config.ts'
import { ROLES, type Role } from '../principal.ts'
import { mintToken, parseTtl, type TokenClaims } from '../tokens.ts'
import { parseCommand, required, UsageError } from './args.ts'
import { jwtIssuer, jwtSecret } from './bearer.ts'
import { token as spec } from './specs/token.ts'

export function token (argv: string[]): void {
  const { values } = parseCommand(spec, argv)
  const role = values.role!
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError('--role must be one of ' + ROLES.join(', '))
  const claims: TokenClaims = { sub: values.sub!, role: role as Role }
  if (role === 'dept_admin') claims.dept = required(values.dept, '--dept DEPT (the department, for --role dept_admin)')
  if (role === 'subject') {
    claims.idNumber = required(values['id-number'], '--id-number N (the citizen\'s ID number, for --role subject)')
  }
  let ttl: number
  try { ttl = parseTtl(values.ttl ?? '1h') } catch { throw new UsageError('--ttl must look like 30s, 15m, 1h or 7d') }
  loadDotEnv()
  const env = process.env
  // With PostgreSQL only the JWT secret is needed; the embedded default generates its secrets once,
  // and a token minted before the first `shifou serve` must be signed with the one the service will use.
  const secret = env.DATABASE_URL !== undefined && env.DATABASE_URL !== '' ? jwtSecret(env) : loadConfig(env).jwtSecret
  if (secret === undefined || secret.length === 0) {
    throw new UsageError('SHIFOU_JWT_SECRET is not set: development tokens are signed with it ' +
      '(with DATABASE_URL set, none is generated)')
  }
  process.stdout.write(mintToken(secret, jwtIssuer(env), claims, ttl) + '\n')
}
