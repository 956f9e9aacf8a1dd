/**
 * What to do about a refusal of the service, for the person at the terminal. The problem's own
 * `detail` says what was wrong; these hints say where the fix lies (a token, a role, a file), for
 * the codes of src/errors.ts that a command-line user meets, and by status for the rest.
 */

type Problem = Record<string, unknown>

const BY_CODE: Record<string, (p: Problem, connector: string | undefined) => string> = {
  UNAUTHENTICATED: () => 'The token was refused: give a valid one with --token or SHIFOU_TOKEN. A token minted ' +
    'from SHIFOU_JWT_SECRET works only when it is the secret (and SHIFOU_JWT_ISSUER the issuer) of that service.',
  FORBIDDEN: (_p, c) => c === undefined
    ? 'This token\'s role (or department) may not do this: use a token of a role that may (see docs/api.md).'
    : `Loading needs a token of role admin, or dept_admin whose dept claim is the department of connector ${c}.`,
  TOKEN_LIFETIME_TOO_LONG: () => 'The token lives longer than the service accepts: mint one with a shorter --ttl ' +
    '(at most its SHIFOU_JWT_MAX_TTL, 24h unless set).',
  CLIENT_INACTIVE: () => 'This client is deactivated: ask the platform operator to reactivate it.',
  NOT_FOUND: (_p, c) => c === undefined
    ? 'Check the id or the URL.'
    : `There is no connector ${c}: check its id (GET /v1/connectors/${c}).`,
  LOAD_IN_PROGRESS: (_p, c) => `Another load of ${c ?? 'this connector'} is running: wait until it has finished, ` +
    'then load again. The previous snapshot keeps answering meanwhile.',
  REJECT_RATIO_EXCEEDED: () => 'Too many rows were rejected, so nothing changed. The rejected rows are listed on ' +
    'standard output by line, field and code: fix them, or have an admin raise the connector\'s maxRejectRatio.',
  MISSING_COLUMN: () => 'The file\'s header lacks a declared column: name every declared field in the header row ' +
    '(extra columns are dropped).',
  EMPTY_SNAPSHOT: () => 'The file has a header but no data rows.',
  PAYLOAD_TOO_LARGE: () => 'The service refuses a body this large: split the file or ask the operator about the limit.',
  UNSUPPORTED_MEDIA_TYPE: () => 'Give the file\'s format with --format csv or --format ndjson.',
  INVALID_QUERY: () => 'Check --as-of: a date like 2026-11-27, not in the future.',
  QUOTA_EXCEEDED: (p) => `Over a quota${typeof p.limit === 'string' ? ` (${p.limit})` : ''}: retry after ` +
    `${typeof p.retryAfter === 'number' ? `${p.retryAfter} seconds` : 'the time in Retry-After'}.`,
  NO_ACTIVE_SNAPSHOT: () => 'That connector has no data loaded yet: load a snapshot first (shifou load).',
  AUDIT_UNAVAILABLE: () => 'The service cannot write its audit log now, so it answers nothing: retry shortly, and ' +
    'tell its operator.',
  DATABASE_UNAVAILABLE: () => 'The service cannot reach its database now: retry shortly, and tell its operator.'
}

const BY_STATUS: Record<number, string> = {
  400: 'The request was not accepted as sent: the detail above says what to change.',
  401: BY_CODE.UNAUTHENTICATED!({}, undefined),
  403: BY_CODE.FORBIDDEN!({}, undefined),
  404: BY_CODE.NOT_FOUND!({}, undefined),
  409: 'It conflicts with the current state: the detail above says which.',
  429: BY_CODE.QUOTA_EXCEEDED!({}, undefined),
  500: 'The service failed: its operator finds the cause in the service\'s log.',
  503: 'The service cannot answer now: retry shortly.'
}

export function problemHint (
  status: number, code: string | undefined, problem: Problem, connector?: string
): string | undefined {
  const byCode = code === undefined ? undefined : BY_CODE[code]
  return byCode !== undefined ? byCode(problem, connector) : BY_STATUS[status]
}
