/**
 * The department agent's HTTP interface (design §14.3), on node:http: one signed route.
 *
 *   POST /v1/lookups   signed by the hub (RFC 9421); answered signed by the agent
 *   GET  /healthz      {connector, snapshot} unsigned, for the department's monitoring
 *
 * A request is refused (401, never answered) when its signature is not the hub's, is outside its
 * time, repeats a nonce or does not cover the body. Bodies over 256 KiB are refused and the
 * connection closed. Log lines carry method, path, status and counts, never a subject.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { KeyObject } from 'node:crypto'
import type { HttpMessage } from '../crypto/http-signature.ts'
import type { SigningKey } from './identity.ts'
import type { AgentStore } from './store.ts'
import {
  JSON_TYPE, LOOKUP_PATH, NonceCache, REQUEST_COMPONENTS, parseLookupRequest, signResponse, verifySigned,
  type LookupResponse
} from './protocol.ts'

export const MAX_BODY_BYTES = 256 * 1024
export const HUB_KEYID = 'hub'

export interface AgentServerOptions {
  store: AgentStore
  key: SigningKey
  /** the hub's public key (GET /v1/agent-key on the hub) */
  hubKey: KeyObject
  log?: (line: string) => void
}

export function agentServer (opts: AgentServerOptions): Server {
  const log = opts.log ?? (() => {})
  const nonces = new NonceCache()
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 10_000, keepAliveTimeout: 30_000 },
    (req, res) => {
      const started = Date.now()
      handle(opts, nonces, req, res)
        .catch((err: unknown) => {
          log(`error: ${(err as Error).message}`)
          if (!res.headersSent) plain(res, 503, 'the agent could not answer\n')
          else res.destroy()
        })
        .finally(() => {
          log(`${req.method ?? '?'} ${(req.url ?? '').split('?')[0]} ${res.statusCode} ${Date.now() - started} ms`)
        })
    })
  return server
}

async function handle (opts: AgentServerOptions, nonces: NonceCache, req: IncomingMessage,
  res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!
  if (path === '/healthz' && req.method === 'GET') {
    const body = JSON.stringify({ connector: opts.store.key.connector.id, snapshot: opts.store.active })
    res.writeHead(200, { 'content-type': JSON_TYPE }).end(body)
    return
  }
  if (path !== LOOKUP_PATH) return plain(res, 404, 'not found\n')
  if (req.method !== 'POST') return plain(res, 405, 'use POST\n')
  const body = await readBody(req)
  if (body === null) {
    res.setHeader('connection', 'close')
    return plain(res, 413, `the body is over ${MAX_BODY_BYTES} bytes\n`)
  }
  const message: HttpMessage = {
    method: req.method,
    authority: (req.headers.host ?? '').toLowerCase(),
    path,
    header: (name) => {
      const v = req.headers[name]
      return Array.isArray(v) ? v.join(', ') : v
    }
  }
  const checked = verifySigned(message, body, opts.hubKey, HUB_KEYID, REQUEST_COMPONENTS)
  if ('error' in checked) return plain(res, 401, `refused: ${checked.error}\n`)
  if (!nonces.fresh(checked.nonce)) return plain(res, 401, 'refused: the request was replayed\n')
  let parsed
  try {
    parsed = parseLookupRequest(JSON.parse(body.toString('utf8')))
  } catch {
    parsed = 'the body is not JSON'
  }
  if (typeof parsed === 'string') return plain(res, 400, parsed + '\n')
  if (parsed.connector !== opts.store.key.connector.id) {
    return plain(res, 404, `this agent serves connector ${opts.store.key.connector.id}\n`)
  }
  const found = await opts.store.lookup(parsed.lookups)
  if (found === null) return plain(res, 503, 'no snapshot is loaded yet\n')
  const answer: LookupResponse = {
    connector: parsed.connector,
    snapshot: found.snapshot,
    results: found.results.map((r) => ({
      records: r.records as Array<Record<string, unknown>>, unreadable: r.unreadable
    }))
  }
  const bytes = Buffer.from(JSON.stringify(answer), 'utf8')
  res.writeHead(200, signResponse(200, bytes, checked.nonce, opts.key, opts.key.publicKey)).end(bytes)
}

function plain (res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text)
}

async function readBody (req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) return null
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}
