/**
 * Talking to a running service from the command line: where it is (--url, else SHIFOU_URL, else
 * http://127.0.0.1:$PORT), and what to say when it cannot be reached or refuses. Every message
 * names the URL that was tried and how to change it, or the problem's code and what to do.
 */
import { problemHint } from './problem.ts'
import { UsageError } from './args.ts'

export interface ServiceBase {
  url: URL
  /** Where the URL came from, for messages: `--url`, `SHIFOU_URL`, `PORT=9090`, `the default`. */
  from: string
}

/** The service could not be reached, or answered with an error: the message says what to do. */
export class ServiceError extends Error {
  readonly status: number | undefined
  readonly code: string | undefined

  constructor (message: string, status?: number, code?: string) {
    super(message)
    this.name = 'ServiceError'
    this.status = status
    this.code = code
  }
}

function httpUrl (text: string, what: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`${what} is not a URL: give one like http://127.0.0.1:8080`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${what} must be an http:// or https:// URL`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`${what} must not hold a user or password: give a token with --token`)
  }
  return url
}

export function serviceBase (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ServiceBase {
  if (flag !== undefined) return { url: httpUrl(flag, '--url'), from: '--url' }
  if (env.SHIFOU_URL !== undefined && env.SHIFOU_URL !== '') {
    return { url: httpUrl(env.SHIFOU_URL, 'SHIFOU_URL'), from: 'SHIFOU_URL' }
  }
  if (env.PORT === undefined || env.PORT === '') {
    return { url: new URL('http://127.0.0.1:8080'), from: 'the default (PORT is not set)' }
  }
  if (!/^\d{1,5}$/.test(env.PORT) || Number(env.PORT) < 1 || Number(env.PORT) > 65535) {
    throw new UsageError('PORT must be a port number from 1 to 65535 (or give --url or SHIFOU_URL)')
  }
  return { url: new URL(`http://127.0.0.1:${Number(env.PORT)}`), from: `PORT=${Number(env.PORT)}` }
}

/** A path (with its query) under the base URL, keeping a base path such as https://host/shifou/. */
export function endpoint (base: ServiceBase, path: string): URL {
  const root = base.url.href.endsWith('/') ? base.url.href : base.url.href + '/'
  return new URL(path.replace(/^\//, ''), root)
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing is listening there)',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved now',
  ETIMEDOUT: 'the connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  ECONNRESET: 'the connection was closed before an answer',
  UND_ERR_SOCKET: 'the connection was closed before an answer',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPROTO: 'the TLS handshake failed (is it http:// rather than https://?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the TLS handshake failed (is it http:// rather than https://?)',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is not trusted (set NODE_EXTRA_CA_CERTS to your CA file)',
  SELF_SIGNED_CERT_IN_CHAIN: 'its TLS certificate is not trusted (set NODE_EXTRA_CA_CERTS to your CA file)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its TLS certificate is not trusted (set NODE_EXTRA_CA_CERTS to your CA file)',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is for another host name'
}

/** The system error code behind a failed fetch or http.request (undici nests it in `cause`). */
function networkCode (err: unknown): string | undefined {
  let e = err as { code?: unknown, cause?: unknown, errors?: unknown[] } | undefined
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR' && NETWORK[e.code] !== undefined) return e.code
    if (Array.isArray(e.errors) && e.errors.length > 0) e = e.errors[0] as typeof e
    else e = e.cause as typeof e
  }
  return (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code
}

export function unreachable (base: ServiceBase, err: unknown): ServiceError {
  const code = networkCode(err)
  const why = code === undefined ? 'the request failed' : NETWORK[code] ?? code
  const where = base.url.href.replace(/\/$/, '')
  const running = code === 'ECONNREFUSED' ? 'Is the service running (shifou serve)? ' : ''
  const change = base.from === '--url'
    ? 'Check --url.'
    : base.from === 'SHIFOU_URL'
      ? 'The URL comes from SHIFOU_URL; change it, or give --url URL.'
      : `The URL comes from ${base.from}; point at the service with --url URL, SHIFOU_URL=URL or PORT=N.`
  return new ServiceError(`cannot reach the service at ${where}: ${why}.\n  ${running}${change}`)
}

/** A problem+json answer as one message: status, code, detail, and what to do about it. */
export interface RefusalContext {
  /** What was being done, for the message's start: `loading tax.csv into tax`. */
  action: string
  connector?: string
  /** What to do about a 401 or 403 here, instead of the general advice. */
  authHint?: string
}

export function refused (status: number, body: unknown, context: RefusalContext): ServiceError {
  const problem = typeof body === 'object' && body !== null ? body as Record<string, unknown> : {}
  const code = typeof problem.code === 'string' ? problem.code : undefined
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined
  const hint = (status === 401 || status === 403) && context.authHint !== undefined
    ? context.authHint
    : problemHint(status, code, problem, context.connector)
  const said = (code === undefined ? '' : ' ' + code) + (detail === undefined || detail === code ? '' : ': ' + detail)
  const head = `${context.action}: the service answered ${status}${said}`
  return new ServiceError(hint === undefined ? head : `${head}\n  ${hint}`, status, code)
}

/** GET a JSON document; refusals and network failures become ServiceErrors. */
export async function getJson (
  base: ServiceBase, path: string, context: RefusalContext, token?: string
): Promise<unknown> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: 'Bearer ' + token }
  let res: Response
  try {
    res = await fetch(endpoint(base, path), { headers })
  } catch (err) {
    throw unreachable(base, err)
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) throw refused(res.status, body, context)
  return body
}
