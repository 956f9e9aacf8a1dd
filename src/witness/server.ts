/**
 * The witness's HTTP interface (c2sp.org/tlog-witness §HTTP Interface), on node:http: the witness
 * is a separate, small program that needs none of the service's framework.
 *
 *   POST /add-checkpoint          cosign a checkpoint (submission prefix = monitoring prefix = /)
 *   GET  /<origin hash>/checkpoint  the latest cosigned checkpoint of a log (§Monitor Retrieval)
 *   GET  /                        the witness's name and verifier key, as text
 *
 * Bodies over MAX_BODY_BYTES are refused with 413 and the connection closed; slow clients are cut
 * off after 10 s. Log lines carry method, path, status and origin, never a body.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { Witness } from './witness.ts'
import { MAX_BODY_BYTES } from './protocol.ts'

export interface ServerOptions {
  witness: Witness
  log?: (line: string) => void
}

const TEXT = 'text/plain; charset=utf-8'
const utf8 = new TextDecoder('utf-8', { fatal: true })

export function witnessServer (opts: ServerOptions): Server {
  const log = opts.log ?? (() => {})
  const timeouts = { requestTimeout: 10_000, headersTimeout: 10_000, keepAliveTimeout: 30_000 }
  const server = createServer(timeouts, (req, res) => {
    handle(opts.witness, req, res)
      .catch((err: unknown) => {
        log(`error: ${(err as Error).message}`)
        if (!res.headersSent) send(res, 500, TEXT, 'the witness could not record the checkpoint\n')
        else res.destroy()
      })
      .finally(() => { log(`${req.method ?? '?'} ${(req.url ?? '').split('?')[0]} ${res.statusCode}`) })
  })
  return server
}

async function handle (witness: Witness, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!
  if (path === '/add-checkpoint') {
    if (req.method !== 'POST') return send(res, 405, TEXT, 'use POST\n', { allow: 'POST' })
    const body = await readBody(req)
    if (body === null) {
      res.setHeader('connection', 'close')
      return send(res, 413, TEXT, `the body is over ${MAX_BODY_BYTES} bytes\n`)
    }
    let text: string
    try {
      text = utf8.decode(body)
    } catch {
      return send(res, 400, TEXT, 'the body is not UTF-8\n')
    }
    const reply = await witness.addCheckpoint(text)
    return send(res, reply.status, reply.contentType, reply.body)
  }
  const monitoring = /^\/([0-9a-f]{64})\/checkpoint$/.exec(path)
  if (monitoring !== null) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, TEXT, 'use GET\n', { allow: 'GET, HEAD' })
    const reply = witness.latestCheckpoint(monitoring[1]!)
    return send(res, reply.status, reply.contentType, reply.body)
  }
  if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
    return send(res, 200, TEXT, `shifou witness (c2sp.org/tlog-witness)\nverifier key: ${witness.verifierKey}\n`)
  }
  return send(res, 404, TEXT, 'not found: POST /add-checkpoint, GET /<sha-256 of the origin, hex>/checkpoint\n')
}

/** The request body, or null once it is over MAX_BODY_BYTES. */
async function readBody (req: IncomingMessage): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) return null
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length
    if (length > MAX_BODY_BYTES) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function send (
  res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
