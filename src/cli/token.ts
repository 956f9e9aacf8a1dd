/** `shifou token`: a development token signed with SHIFOU_JWT_SECRET. */
import { loadConfig, loadDotEnv } from '../config.ts'
import { ROLES, type Role } from '../principal.ts'
import { mintToken, parseTtl, type TokenClaims } from '../tokens.ts'
import { parse, required, UsageError } from './args.ts'

export function token (argv: string[]): void {
  const { values } = parse(argv, {
    role: { type: 'string' },
    sub: { type: 'string' },
    dept: { type: 'string' },
    'id-number': { type: 'string' },
    ttl: { type: 'string', default: '1h' }
  })
  const role = required(values.role, '--role')
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError('--role must be one of ' + ROLES.join(', '))
  const claims: TokenClaims = { sub: required(values.sub, '--sub'), role: role as Role }
  if (role === 'dept_admin') claims.dept = required(values.dept, '--dept (for dept_admin)')
  if (role === 'subject') claims.idNumber = required(values['id-number'], '--id-number (for subject)')
  loadDotEnv()
  const config = loadConfig()
  if (config.jwtSecret.length === 0) throw new UsageError('SHIFOU_JWT_SECRET is not set: development tokens need it')
  let ttl: number
  try { ttl = parseTtl(values.ttl ?? '1h') } catch (err) { throw new UsageError((err as Error).message) }
  process.stdout.write(mintToken(config.jwtSecret, config.issuer, claims, ttl) + '\n')
}
