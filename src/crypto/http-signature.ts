/**
 * RFC 9421 HTTP Message Signatures, the part shifou's hub and its department agents use (design
 * §14.3): Ed25519 signatures (§3.3.6) over derived components (`@method`, `@authority`, `@path`,
 * `@status`, §2.2) and header fields (§2.1), with the signature parameters `created`, `expires`,
 * `nonce`, `alg`, `keyid` (§2.3); and RFC 9530's `Content-Digest` (sha-256) so the body is covered.
 *
 * The signature base (§2.5) is one line per covered component, `"<name>": <value>`, then
 * `"@signature-params": <the Signature-Input member's value>`. Only canonical structured-field
 * spellings are accepted when verifying: the received parameters are re-serialised and must come
 * out the same, so a verifier never signs-checks bytes other than those it parsed.
 */
import { createHash, sign as signBytes, type KeyObject } from 'node:crypto'
import { verifyEd25519 } from './signed-note.ts'

/** What a signature covers of one message: derived components and header fields, looked up by name. */
export interface HttpMessage {
  method?: string
  /** host[:port], lower case (§2.2.3) */
  authority?: string
  /** the absolute path, without the query (§2.2.6) */
  path?: string
  status?: number
  /** a header field's value, or undefined when absent (names in lower case) */
  header: (name: string) => string | undefined
}

/** The signature parameters of §2.3, in the order they are serialised. */
export interface SignatureParams {
  created: number
  expires?: number
  nonce?: string
  alg?: 'ed25519'
  keyid: string
}

const TOKEN = /^[a-z*][a-z0-9_\-.*]*$/
const SF_STRING = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/ // printable ASCII without " and \ (no escapes needed)

/** RFC 9530 §2: `sha-256=:<base64>:` of the content. */
export function contentDigest (body: Uint8Array): string {
  return 'sha-256=:' + createHash('sha256').update(body).digest('base64') + ':'
}

/** The value of one covered component (§2.1, §2.2); throws when the message lacks it. */
export function componentValue (message: HttpMessage, name: string): string {
  let value: string | undefined
  switch (name) {
    case '@method': value = message.method; break
    case '@authority': value = message.authority; break
    case '@path': value = message.path; break
    case '@status': value = message.status === undefined ? undefined : String(message.status); break
    default:
      if (name.startsWith('@')) throw new RangeError(`unsupported derived component ${name}`)
      // §2.1: leading and trailing whitespace removed; several field lines are already combined.
      value = message.header(name)?.trim()
  }
  if (value === undefined) throw new RangeError(`the message has no ${name}`)
  if (/[\r\n]/.test(value)) throw new RangeError(`${name} holds a line break`)
  return value
}

/** The Signature-Input member's value: the inner list of covered components and the parameters (§4.1). */
export function serializeSignatureParams (components: readonly string[], params: SignatureParams): string {
  for (const c of components) {
    if (!(c.startsWith('@') ? TOKEN.test(c.slice(1)) : TOKEN.test(c))) throw new RangeError(`bad component ${c}`)
  }
  let out = '(' + components.map((c) => `"${c}"`).join(' ') + ')'
  out += `;created=${integer(params.created)}`
  if (params.expires !== undefined) out += `;expires=${integer(params.expires)}`
  if (params.nonce !== undefined) out += `;nonce=${sfString(params.nonce)}`
  if (params.alg !== undefined) out += `;alg="${params.alg}"`
  out += `;keyid=${sfString(params.keyid)}`
  return out
}

/** §2.5: the bytes that are signed. */
export function signatureBase (message: HttpMessage, components: readonly string[], params: SignatureParams): string {
  const lines = components.map((c) => `"${c}": ${componentValue(message, c)}`)
  lines.push(`"@signature-params": ${serializeSignatureParams(components, params)}`)
  return lines.join('\n')
}

/** §3.1 with Ed25519 (§3.3.6): the Signature-Input and Signature header values for `label`. */
export function signMessage (message: HttpMessage, components: readonly string[], params: SignatureParams,
  privateKey: KeyObject, label = 'sig1'): { signatureInput: string, signature: string } {
  const base = signatureBase(message, components, params)
  const signature = signBytes(null, Buffer.from(base, 'utf8'), privateKey)
  return {
    signatureInput: `${label}=${serializeSignatureParams(components, params)}`,
    signature: `${label}=:${signature.toString('base64')}:`
  }
}

export interface VerifyOptions {
  label?: string
  /** components the signature must cover */
  required: readonly string[]
  /** seconds since the epoch */
  now: number
  /** how far `created` may lie in the future (clock skew), and how old it may be, in seconds */
  maxSkew: number
  maxAge: number
}

/**
 * §3.2: checks the message's signature `label` with `publicKey` and returns its parameters, or a
 * reason it is refused (never a partial result). Replay of a nonce is the caller's check.
 */
export function verifyMessage (message: HttpMessage, publicKey: KeyObject, opts: VerifyOptions):
{ params: SignatureParams, components: string[] } | { error: string } {
  const label = opts.label ?? 'sig1'
  const input = member(message.header('signature-input'), label)
  const sig = member(message.header('signature'), label)
  if (input === null || sig === null) return { error: `no signature ${label}` }
  const parsed = parseSignatureParams(input)
  if (parsed === null) return { error: 'the Signature-Input is not in the canonical form' }
  const { components, params } = parsed
  for (const c of opts.required) if (!components.includes(c)) return { error: `the signature does not cover ${c}` }
  if (params.alg !== undefined && params.alg !== 'ed25519') return { error: 'alg is not ed25519' }
  if (params.created > opts.now + opts.maxSkew) return { error: 'the signature was created in the future' }
  if (params.created < opts.now - opts.maxAge) return { error: 'the signature is too old' }
  if (params.expires !== undefined && params.expires < opts.now - opts.maxSkew) {
    return { error: 'the signature expired' }
  }
  const bytes = /^:([A-Za-z0-9+/]{86}==):$/.exec(sig)
  if (bytes === null) return { error: 'the signature is not 64 bytes of base64' }
  let base: string
  try {
    base = signatureBase(message, components, params)
  } catch (err) {
    return { error: (err as Error).message }
  }
  if (!verifyEd25519(publicKey, Buffer.from(base, 'utf8'), Buffer.from(bytes[1]!, 'base64'))) {
    return { error: 'the signature does not verify' }
  }
  return { params, components }
}

/** The value of member `label` of a dictionary header with simple members (`label=value, …`). */
function member (header: string | undefined, label: string): string | null {
  if (header === undefined) return null
  for (const part of splitTopLevel(header)) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === label) return part.slice(eq + 1).trim()
  }
  return null
}

/** Splits a dictionary at commas outside quoted strings and inner lists. */
function splitTopLevel (header: string): string[] {
  const out: string[] = []
  let depth = 0
  let quoted = false
  let start = 0
  for (let i = 0; i < header.length; i++) {
    const ch = header[i]
    if (quoted) {
      if (ch === '\\') i++
      else if (ch === '"') quoted = false
    } else if (ch === '"') quoted = true
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === ',' && depth === 0) {
      out.push(header.slice(start, i))
      start = i + 1
    }
  }
  out.push(header.slice(start))
  return out
}

/** The components and parameters of a Signature-Input member, when written canonically. */
export function parseSignatureParams (value: string): { components: string[], params: SignatureParams } | null {
  const m = /^\(((?:"[^"]*"(?: "[^"]*")*)?)\)((?:;[a-z]+=(?:"[^"]*"|\d+))*)$/.exec(value)
  if (m === null) return null
  const components = m[1] === '' ? [] : m[1]!.split(' ').map((c) => c.slice(1, -1))
  const raw: Record<string, string> = {}
  for (const p of m[2]!.split(';').slice(1)) {
    const eq = p.indexOf('=')
    const key = p.slice(0, eq)
    if (key in raw) return null
    raw[key] = p.slice(eq + 1)
  }
  const unquote = (s: string | undefined): string | undefined =>
    s === undefined ? undefined : s.startsWith('"') ? s.slice(1, -1) : undefined
  const num = (s: string | undefined): number | undefined =>
    s === undefined || !/^\d{1,15}$/.test(s) ? undefined : Number(s)
  const created = num(raw.created)
  const keyid = unquote(raw.keyid)
  if (created === undefined || keyid === undefined) return null
  const params: SignatureParams = { created, keyid }
  if (raw.expires !== undefined) params.expires = num(raw.expires)
  if (raw.nonce !== undefined) params.nonce = unquote(raw.nonce)
  if (raw.alg !== undefined) {
    if (raw.alg !== '"ed25519"') return null
    params.alg = 'ed25519'
  }
  if (Object.values(params).some((v) => v === undefined)) return null
  if (Object.keys(raw).some((k) => !['created', 'expires', 'nonce', 'alg', 'keyid'].includes(k))) return null
  try {
    // Canonical only: what is verified is exactly what was parsed.
    return serializeSignatureParams(components, params) === value ? { components, params } : null
  } catch {
    return null
  }
}

function integer (n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('a signature time must be a non-negative integer')
  return String(n)
}

function sfString (s: string): string {
  if (!SF_STRING.test(s)) throw new RangeError('a signature parameter must be printable ASCII without " or \\')
  return `"${s}"`
}
