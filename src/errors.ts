/**
 * The error catalogue (design §5): every refusal the service can give, with its stable code and
 * HTTP status. Domain code throws `ShifouError`; the API maps it to application/problem+json.
 * Messages never carry an identifier, a name, a token or a key.
 */

export const ERRORS = {
  INVALID_BODY: { status: 400, title: 'Invalid request body' },
  UNKNOWN_FIELD: { status: 400, title: 'Unknown field' },
  INVALID_ID_NUMBER: { status: 400, title: 'Invalid ID number' },
  INVALID_NAME: { status: 400, title: 'Invalid name' },
  INVALID_PARAM: { status: 400, title: 'Invalid parameter' },
  INVALID_DEFINITION: { status: 400, title: 'Invalid definition' },
  INVALID_QUERY: { status: 400, title: 'Invalid query string' },
  INVALID_HEADER: { status: 400, title: 'Invalid header' },
  INVALID_URL: { status: 400, title: 'Invalid URL' },
  INVALID_REQUEST: { status: 400, title: 'Invalid HTTP request' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request headers too large' },
  MISSING_COLUMN: { status: 400, title: 'Missing declared column' },
  DUPLICATE_COLUMN: { status: 400, title: 'Duplicate column' },
  INVALID_ENCODING: { status: 400, title: 'Invalid text encoding' },
  EMPTY_SNAPSHOT: { status: 400, title: 'Snapshot has no data rows' },
  SUBJECT_NAME_REQUIRED: { status: 400, title: 'Subject name required' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  SESSION_EXPIRED: { status: 401, title: 'Console session ended' },
  TOKEN_LIFETIME_TOO_LONG: { status: 401, title: 'Token lifetime too long' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  CSRF_TOKEN_INVALID: { status: 403, title: 'CSRF token missing or wrong' },
  QUESTION_NOT_ALLOWED: { status: 403, title: 'Question not allowed' },
  PURPOSE_NOT_ALLOWED: { status: 403, title: 'Purpose not allowed' },
  CLIENT_INACTIVE: { status: 403, title: 'Client inactive' },
  CONSENT_REQUIRED: { status: 403, title: 'Consent required' },
  CONSENT_INVALID: { status: 403, title: 'Consent invalid' },
  CONSENT_EXPIRED: { status: 403, title: 'Consent expired' },
  CONSENT_MISMATCH: { status: 403, title: 'Consent does not match the request' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  LOAD_IN_PROGRESS: { status: 409, title: 'Load in progress' },
  CONSENT_REPLAYED: { status: 409, title: 'Consent already used' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'Request with this idempotency key in progress' },
  SUBJECT_DATA_UNREADABLE: { status: 409, title: 'Subject data unreadable' },
  NAME_NOT_CHECKED: { status: 409, title: 'Name not checked' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  NOT_A_PULL_CONNECTOR: { status: 409, title: 'Not a pull connector' },
  REJECT_RATIO_EXCEEDED: { status: 422, title: 'Reject ratio exceeded' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused with another request' },
  SOURCE_QUERY_FAILED: { status: 422, title: 'Source query failed' },
  SOURCE_COLUMN_MISSING: { status: 422, title: 'Declared column missing from the source query' },
  QUOTA_EXCEEDED: { status: 429, title: 'Quota exceeded' },
  NO_ACTIVE_SNAPSHOT: { status: 503, title: 'No active snapshot' },
  CONNECTOR_STALE: { status: 503, title: 'Connector data too old' },
  CONNECTOR_UNAVAILABLE: { status: 503, title: 'Connector unavailable' },
  QUOTA_UNAVAILABLE: { status: 503, title: 'Limiter unavailable' },
  AUDIT_UNAVAILABLE: { status: 503, title: 'Audit log unavailable' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  SHUTTING_DOWN: { status: 503, title: 'Shutting down' },
  INTERNAL: { status: 500, title: 'Internal error' },
  SOURCE_UNREACHABLE: { status: 502, title: 'Source database unreachable' }
} as const

export type ErrorCode = keyof typeof ERRORS

export class ShifouError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: string
  /** Extra machine-readable members of the problem document (e.g. rejected rows). */
  readonly extra: Record<string, unknown> | undefined
  constructor (code: ErrorCode, detail?: string, extra?: Record<string, unknown>) {
    super(detail ?? ERRORS[code].title)
    this.name = 'ShifouError'
    this.code = code
    this.status = ERRORS[code].status
    this.detail = detail ?? ERRORS[code].title
    this.extra = extra
  }
}

export function isShifouError (err: unknown): err is ShifouError {
  return err instanceof ShifouError
}
