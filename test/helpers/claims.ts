/**
 * The token claims the tests act with: the registered operators, the demo's approval system, and
 * makers for a caller, a department steward or a citizen of one's own.
 */
import { DEMO_CLIENT } from '../../src/demo/demo.ts'
import type { TokenClaims } from '../../src/tokens.ts'

export const ADMIN = { sub: 'ops-1', role: 'admin' } as const satisfies TokenClaims
export const AUDITOR = { sub: 'aud-1', role: 'auditor' } as const satisfies TokenClaims
/** The demo's approval system (`shifou demo` registers it): asks the demo questions for housing subsidies. */
export const CALLER = { sub: DEMO_CLIENT, role: 'caller' } as const satisfies TokenClaims

/** A registered client calling the API. */
export const callerOf = (sub: string): TokenClaims => ({ sub, role: 'caller' })
/** A department's steward, who may manage its connectors only. */
export const stewardOf = (dept: string): TokenClaims => ({ sub: 'steward-' + dept, role: 'dept_admin', dept })
/** A citizen signed in with their ID number (reads their own access log). */
export const subjectOf = (idNumber: string): TokenClaims => ({
  sub: 'citizen-' + idNumber.slice(-4),
  role: 'subject',
  idNumber
})
