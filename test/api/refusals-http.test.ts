/**
 * Clean refusals over real HTTP (design §14.5): a refused upload — too large, of the wrong type,
 * with a bad token, or refused mid-body — is answered promptly with a problem body and its
 * connection drained or closed, so that a keep-alive client neither waits for the answer nor is
 * left with a socket that hangs (about 73 s before); and while the service closes, a request gets
 * 503 SHUTTING_DOWN as a problem body with Connection: close, not Fastify's default body.
 * node:http with a keep-alive agent against the app listening on a port, as a client would.
 */
import t from 'tap'
import { Agent, request, type IncomingMessage } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { build, ADMIN, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { fileConnector, register } from '../helpers/registry.ts'

interface Sent {
  status: number
  headers: IncomingMessage['headers']
  body: string
  /** ms from the first byte sent to the whole response received */
  ms: number
  /** whether the client could send all of its body */
  sentAll: boolean
  /** whether the connection was closed within a second of the answer */
  closed: Promise<boolean>
}

const MiB = 1024 * 1024

/**
 * Sends `size` bytes of `line` repeated (after `head`) in 64 KiB chunks, honouring back-pressure,
 * with or without a Content-Length, and resolves when the response has been read.
 */
async function upload (agent: Agent, port: number, o: {
  method: string
  path: string
  headers: Record<string, string>
  head?: string
  line?: string
  size: number
  chunked?: boolean
}): Promise<Sent> {
  const started = Date.now()
  const line = o.line ?? 'x'
  const head = Buffer.from(o.head ?? '')
  const chunk = Buffer.from(line.repeat(Math.ceil(64 * 1024 / line.length)))
  const total = head.length + Math.floor((o.size - head.length) / chunk.length) * chunk.length
  return await new Promise((resolve, reject) => {
    let sentAll = false
    const req = request({
      agent,
      host: '127.0.0.1',
      port,
      method: o.method,
      path: o.path,
      headers: { ...o.headers, ...(o.chunked === true ? {} : { 'content-length': String(total) }) }
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => {
        const socket = res.socket
        const closed = new Promise<boolean>((resolve) => {
          if (socket.destroyed) return resolve(true)
          const timer = setTimeout(() => { resolve(false) }, 1000)
          socket.once('close', () => { clearTimeout(timer); resolve(true) })
        })
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started, sentAll, closed })
      })
      res.on('error', reject)
    })
    req.on('error', () => {})
    let written = 0
    const pump = (): void => {
      if (written === 0 && head.length > 0) {
        written += head.length
        if (!req.write(head)) return void req.once('drain', pump)
      }
      while (written < total) {
        written += chunk.length
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      sentAll = true
      req.end()
    }
    pump()
  })
}

/** A plain request on the same agent: does the client get an answer promptly after a refusal? */
async function ping (agent: Agent, port: number, token: string): Promise<{ status: number, ms: number }> {
  const started = Date.now()
  return await new Promise((resolve, reject) => {
    const req = request({
      agent,
      host: '127.0.0.1',
      port,
      method: 'GET',
      path: '/v1/departments',
      headers: { authorization: 'Bearer ' + token }
    }, (res) => {
      res.resume()
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, ms: Date.now() - started }) })
    })
    // Before the fix this waited ~73 s: fail fast instead.
    req.setTimeout(5000, () => { req.destroy(new Error('no answer within 5 s')) })
    req.on('error', reject)
    req.end()
  })
}

t.test('refused uploads are answered at once, and the keep-alive client goes on', async (t) => {
  const testApp = await build(t)
  const { app, database, keyring, token } = testApp
  await loadDemo(database, keyring, 5)
  await register(testApp, {
    departments: [{ id: 'civil', name: 'Civil affairs' }],
    connectors: [fileConnector('births', 'civil', [{ name: 'score', type: 'integer' }])]
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const admin = token(ADMIN)
  const caller = token(CALLER)
  const json = { 'content-type': 'application/json' }
  const asCaller = { authorization: 'Bearer ' + caller }

  const cases: Array<[string, Parameters<typeof upload>[2], number, string]> = [
    ['a verification over the body limit (Content-Length)',
      { method: 'POST', path: '/v1/verifications', headers: { ...json, ...asCaller }, size: 8 * MiB },
      413, 'PAYLOAD_TOO_LARGE'],
    ['a verification over the body limit (chunked, refused mid-body)',
      { method: 'POST', path: '/v1/verifications', headers: { ...json, ...asCaller },
        size: 8 * MiB, chunked: true },
      413, 'PAYLOAD_TOO_LARGE'],
    ['a verification of the wrong type',
      { method: 'POST', path: '/v1/verifications', headers: { 'content-type': 'text/plain', ...asCaller },
        size: 8 * MiB, chunked: true },
      415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a load with a bad token',
      { method: 'PUT', path: '/v1/connectors/births/snapshot?asOf=2025-01-01',
        headers: { 'content-type': 'text/csv', authorization: 'Bearer not-a-token' }, size: 32 * MiB, chunked: true },
      401, 'UNAUTHENTICATED'],
    ['a load of the wrong type',
      { method: 'PUT', path: '/v1/connectors/births/snapshot?asOf=2025-01-01',
        headers: { 'content-type': 'application/pdf', authorization: 'Bearer ' + admin },
        size: 32 * MiB,
        chunked: true },
      415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a load refused mid-body (its header lacks a column)',
      { method: 'PUT', path: '/v1/connectors/births/snapshot?asOf=2025-01-01',
        headers: { 'content-type': 'text/csv', authorization: 'Bearer ' + admin },
        head: 'wrong,header\n', line: '1,2\n', size: 32 * MiB, chunked: true },
      400, 'MISSING_COLUMN'],
    ['a load refused mid-body (with a Content-Length)',
      { method: 'PUT', path: '/v1/connectors/births/snapshot?asOf=2025-01-01',
        headers: { 'content-type': 'text/csv', authorization: 'Bearer ' + admin },
        head: 'wrong,header\n', line: '1,2\n', size: 32 * MiB },
      400, 'MISSING_COLUMN']
  ]
  for (const [what, o, status, code] of cases) {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    t.teardown(() => { agent.destroy() })
    const res = await upload(agent, port, o)
    t.equal(res.status, status, what + ': status')
    t.match(res.headers['content-type'], /^application\/problem\+json/, what + ': a problem body')
    t.equal(JSON.parse(res.body).code, code, what + ': code')
    t.ok(res.ms < 5000, `${what}: answered in ${res.ms} ms`)
    t.equal(res.headers.connection, 'close', what + ': the answer says Connection: close')
    t.ok(await res.closed, what + ': and the connection is closed, not left hanging')
    const next = await ping(agent, port, admin)
    t.equal(next.status, 200, what + ': the next request on the agent is answered')
    t.ok(next.ms < 2000, `${what}: the next request is not held up (${next.ms} ms)`)
  }
})

t.test('while the service closes, a request gets 503 SHUTTING_DOWN, a problem body, Connection: close',
  async (t) => {
    const { app, token } = await build(t)
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as AddressInfo).port
    // A connection in the middle of sending its request is not idle: closing waits for it.
    const socket = connect(port, '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { received += d })
    const ended = new Promise<number>((resolve) => socket.once('close', () => { resolve(Date.now()) }))
    socket.write(`GET /v1/departments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token(ADMIN)}\r\n`)
    await new Promise((resolve) => setTimeout(resolve, 100))
    const closed = app.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const sent = Date.now()
    socket.write('\r\n')
    const at = await ended
    await closed
    const [head, body] = received.split('\r\n\r\n')
    t.match(head, /^HTTP\/1\.1 503 /, 'status 503')
    t.match(head, /\r\ncontent-type: application\/problem\+json/i, 'a problem body')
    t.match(head, /\r\nconnection: close/i, 'Connection: close')
    t.equal(JSON.parse(body!).code, 'SHUTTING_DOWN')
    t.ok(at - sent < 2000, `the connection is closed at once (${at - sent} ms)`)
  })

/** Writes `raw` on a new connection and returns everything the server sent before it closed. */
async function rawExchange (port: number, raw: string): Promise<{ head: string, body: string }> {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (d: string) => { received += d })
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(raw)
  await new Promise((resolve) => socket.once('close', resolve))
  const [head, body] = received.split('\r\n\r\n')
  return { head: head ?? '', body: body ?? '' }
}

t.test('requests refused before routing get problem bodies too', async (t) => {
  const { app, token } = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as AddressInfo).port
  const id = '11010119900307001X'
  const cases: Array<[string, string, number, string]> = [
    ['a URL that is not valid percent-encoding',
      `GET /v1/audit/subjects/${id}%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token(ADMIN)}\r\n` +
      'Connection: close\r\n\r\n', 400, 'INVALID_URL'],
    ['not HTTP', 'HELLO THERE\r\n\r\n', 400, 'INVALID_REQUEST'],
    ['headers over the limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431, 'HEADERS_TOO_LARGE']
  ]
  for (const [what, raw, status, code] of cases) {
    const { head, body } = await rawExchange(port, raw)
    t.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), what + ': status')
    t.match(head, /\r\ncontent-type: application\/problem\+json/i, what + ': a problem body')
    t.equal(JSON.parse(body).code, code, what + ': code')
    t.notOk(body.includes(id), what + ': the path is not echoed')
  }
})
