/** `shifou token`: development tokens. */
import { defineCommand } from '../spec.ts'
import { DATABASE, JWT } from './environment.ts'

export const token = defineCommand({
  path: ['token'],
  summary: 'print a development token signed with SHIFOU_JWT_SECRET',
  usage: ['token --role ROLE --sub SUB [--dept DEPT] [--id-number N] [--ttl 1h]'],
  description: 'Prints an HS256 JWT with the claims the service requires (sub, role, iat, exp, aud shifou, iss ' +
    'SHIFOU_JWT_ISSUER), signed with SHIFOU_JWT_SECRET — or, without DATABASE_URL, with the embedded ' +
    'database\'s generated secret in SHIFOU_DATA_DIR, so it works against `shifou serve` started from the same ' +
    'directory. It is for development and tests: in production tokens come from the identity provider ' +
    '(SHIFOU_JWT_PUBLIC_KEYS). The token goes to standard output alone, for T=$(shifou token …).',
  options: {
    role: {
      type: 'string',
      value: 'ROLE',
      required: true,
      description: 'caller, dept_admin, auditor, admin or subject'
    },
    sub: { type: 'string', value: 'SUB', required: true, description: 'who: for a caller, its registered client id' },
    dept: { type: 'string', value: 'DEPT', description: 'the department id (required with --role dept_admin)' },
    'id-number': {
      type: 'string',
      value: 'N',
      description: 'the citizen\'s resident ID number (required with --role subject)'
    },
    ttl: { type: 'string', value: 'TTL', description: 'how long it is valid: 30s, 15m, 1h (default), 7d' }
  },
  examples: [
    {
      command: 'T=$(shifou token --role admin --sub ops-1)',
      explains: 'an admin token for registering departments, connectors, questions and clients'
    },
    {
      command: 'shifou token --role caller --sub demo-housing --ttl 8h',
      explains: 'a token of the demo caller, valid for a working day'
    },
    {
      command: 'shifou token --role dept_admin --sub clerk-7 --dept tax',
      explains: 'a token that may load the tax department\'s connectors'
    }
  ],
  environment: [...JWT, ...DATABASE],
  exit: [
    [0, 'the token was printed'],
    [2, 'bad usage, or no secret to sign with'],
    [78, 'the configuration is invalid']
  ],
  run: async (argv) => { (await import('../token.ts')).token(argv); return 0 }
})
