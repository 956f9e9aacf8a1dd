/**
 * The hub's side of a `kind: "agent"` connector (design §14.3): the records of a subject are
 * asked of the department's agent, live, over a signed exchange (src/agent/protocol.ts). The hub
 * stores no row of such a connector.
 *
 * Every way the agent can fail — unreachable, slower than the deadline (default 2 s), an answer
 * that is not signed by its registered key, not bound to the request, or not the shape asked for —
 * refuses the question with 503 CONNECTOR_UNAVAILABLE, never a `no`. The lookups of concurrent
 * requests go to the agent in one call (src/db/batch.ts), over kept-alive connections. A failed
 * call is retried once while the retry budget allows (at most one retry for ten calls, so a sick
 * agent is not asked twice as often), and a circuit breaker stops calling an agent that keeps
 * failing, trying it again every second.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { KeyObject } from 'node:crypto'
import { StatementBatcher } from '../db/batch.ts'
import { Breaker } from '../db/breaker.ts'
import { ShifouError } from '../errors.ts'
import type { StoredRecord } from '../matchers/predicate/index.ts'
import { parsePublicKey, type SigningKey } from '../agent/identity.ts'
import type { AgentRef } from '../db/schema/index.ts'
import {
  LOOKUP_PATH, MAX_LOOKUPS, RESPONSE_COMPONENTS, signRequest, verifySigned, type LookupItem, type LookupResponse
} from '../agent/protocol.ts'
import { HUB_KEYID } from '../agent/server.ts'
import type { SubjectRecords } from './records.ts'
import type { RecordLookup, RecordSource } from './record-source.ts'

export const DEFAULT_AGENT_DEADLINE_MS = 2000
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024

export interface AgentEndpoint {
  connectorId: string
  url: string
  /** the agent's registered public key (base64url); its responses carry it as keyid */
  publicKeyText: string
  publicKey: KeyObject
}

/** What the agent said about one subject: the records and the snapshot they come from. */
export interface AgentAnswer {
  records: SubjectRecords
  snapshot: { id: number, asOf: string, keyVersion: number }
}

export interface AgentSourceOptions {
  hubKey: SigningKey
  deadlineMs?: number
}

export class AgentSource {
  readonly endpoint: AgentEndpoint
  readonly #hubKey: SigningKey
  readonly #deadlineMs: number
  readonly #batcher: StatementBatcher<LookupItem, AgentAnswer>
  readonly #http: HttpAgent
  readonly breaker = new Breaker({ retryMs: 1000, aliveMs: 0 })
  #calls = 0
  #retries = 0

  constructor (endpoint: AgentEndpoint, opts: AgentSourceOptions) {
    this.endpoint = endpoint
    this.#hubKey = opts.hubKey
    this.#deadlineMs = opts.deadlineMs ?? DEFAULT_AGENT_DEADLINE_MS
    const url = new URL(LOOKUP_PATH, endpoint.url)
    this.#http = url.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, maxSockets: 8 })
      : new HttpAgent({ keepAlive: true, maxSockets: 8 })
    this.#batcher = new StatementBatcher(async (items) => await this.#call(items), { maxBatch: MAX_LOOKUPS })
  }

  /** The records of one subject (its keyed hash under the connector's key, hex), or CONNECTOR_UNAVAILABLE. */
  async lookup (item: LookupItem): Promise<AgentAnswer> {
    return await this.#batcher.submit(item)
  }

  close (): void {
    this.#http.destroy()
  }

  async #call (items: LookupItem[]): Promise<AgentAnswer[]> {
    const admitted = this.breaker.admit()
    if (admitted === 'refuse') {
      throw unavailable('the department\'s agent failed just now; it is tried again each second')
    }
    this.#calls++
    try {
      const answers = await this.#once(items)
      this.breaker.answered()
      return answers
    } catch (first) {
      // One retry, within the budget: a connection the agent closed while idle is the usual cause.
      if (admitted === 'go' && this.#retries < 1 + this.#calls / 10) {
        this.#retries++
        try {
          const answers = await this.#once(items)
          this.breaker.answered()
          return answers
        } catch {}
      }
      this.breaker.failed()
      throw first instanceof ShifouError ? first : unavailable('the department\'s agent did not answer')
    }
  }

  async #once (items: LookupItem[]): Promise<AgentAnswer[]> {
    const url = new URL(LOOKUP_PATH, this.endpoint.url)
    const body = Buffer.from(JSON.stringify({ connector: this.endpoint.connectorId, lookups: items }), 'utf8')
    const { headers, nonce } = signRequest(url, body, this.#hubKey, HUB_KEYID)
    const { status, response, bytes } = await this.#post(url, body, headers)
    if (status !== 200) throw unavailable(`the department's agent answered ${status}`)
    const checked = verifySigned({ status, header: (n) => headerOf(response, n) }, bytes, this.endpoint.publicKey,
      this.endpoint.publicKeyText, RESPONSE_COMPONENTS)
    if ('error' in checked) throw unavailable(`the agent's answer is refused: ${checked.error}`)
    if (checked.nonce !== nonce) throw unavailable('the agent\'s answer is not the answer to this request')
    let parsed: LookupResponse
    try {
      parsed = JSON.parse(bytes.toString('utf8')) as LookupResponse
    } catch {
      throw unavailable('the agent\'s answer is not JSON')
    }
    const snapshot = parsed.snapshot
    if (parsed.connector !== this.endpoint.connectorId || !Array.isArray(parsed.results) ||
      parsed.results.length !== items.length || typeof snapshot !== 'object' || snapshot === null ||
      !Number.isSafeInteger(snapshot.id) || typeof snapshot.asOf !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}$/.test(snapshot.asOf) || !Number.isSafeInteger(snapshot.keyVersion)) {
      throw unavailable('the agent\'s answer is not an answer to these lookups')
    }
    return parsed.results.map((r) => {
      if (typeof r !== 'object' || r === null || !Array.isArray(r.records) || typeof r.unreadable !== 'boolean' ||
        r.records.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
        throw unavailable('the agent\'s answer is not an answer to these lookups')
      }
      return {
        records: { records: r.records as StoredRecord[], unreadable: r.unreadable },
        snapshot: { id: snapshot.id, asOf: snapshot.asOf, keyVersion: snapshot.keyVersion }
      }
    })
  }

  async #post (url: URL, body: Buffer, headers: Record<string, string>):
  Promise<{ status: number, response: IncomingMessage, bytes: Buffer }> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return await new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        agent: this.#http,
        headers: { ...headers, 'content-length': String(body.length) },
        signal: AbortSignal.timeout(this.#deadlineMs)
      }, (response) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('the answer is too large'))
          else chunks.push(chunk)
        })
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, response, bytes: Buffer.concat(chunks) })
        })
        response.on('error', reject)
      })
      req.on('error', (err) => {
        reject(err.name === 'AbortError' || err.name === 'TimeoutError'
          ? unavailable(`the department's agent did not answer within ${this.#deadlineMs} ms`)
          : err)
      })
      req.end(body)
    })
  }
}

function headerOf (response: IncomingMessage, name: string): string | undefined {
  const v = response.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

function unavailable (why: string): ShifouError {
  return new ShifouError('CONNECTOR_UNAVAILABLE', `${why}; the question is not answered (never a no). ` +
    'Try again later, or ask the department to check its agent.')
}

/**
 * The agents of every connector of kind agent, one client each (its connections, batcher and
 * breaker), made on first use and made again when the connector's agent is registered anew.
 * The hub signs with one key derived from the master key (src/agent/identity.ts, HUB_KEY_INFO).
 */
export class AgentSources implements RecordSource {
  readonly hubKey: SigningKey
  readonly #deadlineMs: number
  readonly #sources = new Map<string, AgentSource>()

  constructor (hubKey: SigningKey, opts: { deadlineMs?: number } = {}) {
    this.hubKey = hubKey
    this.#deadlineMs = opts.deadlineMs ?? DEFAULT_AGENT_DEADLINE_MS
  }

  /**
   * The subject's records from the connector's agent, with the agent's snapshot as `from`. An agent
   * that hashes under another key version than the hub did cannot have found the subject: refused.
   */
  async lookup (l: RecordLookup): Promise<SubjectRecords> {
    if (l.agent === undefined) throw unavailable('the connector names no agent')
    const answer = await this.source(l.connectorId, l.agent).lookup({
      subject: Buffer.from(l.subjectHash).toString('hex'),
      ...(l.asked ?? {})
    })
    if (l.keyVersion !== undefined && answer.snapshot.keyVersion !== l.keyVersion) {
      throw new ShifouError('CONNECTOR_UNAVAILABLE', `The department's agent holds key version ` +
        `${answer.snapshot.keyVersion}, the hub hashes with ${l.keyVersion}: export the connector's key ` +
        'again (shifou keys export) and restart the agent. The question is not answered (never a no).')
    }
    return { ...answer.records, from: { snapshot: answer.snapshot.id, asOf: answer.snapshot.asOf } }
  }

  source (connectorId: string, agent: AgentRef): AgentSource {
    let source = this.#sources.get(connectorId)
    const changed = source !== undefined &&
      (source.endpoint.url !== agent.url || source.endpoint.publicKeyText !== agent.publicKey)
    if (source === undefined || changed) {
      source?.close()
      const publicKey = parsePublicKey(agent.publicKey)
      if (publicKey === null) throw unavailable('the agent\'s registered public key is not an Ed25519 key')
      source = new AgentSource({ connectorId, url: agent.url, publicKeyText: agent.publicKey, publicKey },
        { hubKey: this.hubKey, deadlineMs: this.#deadlineMs })
      this.#sources.set(connectorId, source)
    }
    return source
  }

  async close (): Promise<void> {
    for (const s of this.#sources.values()) s.close()
    this.#sources.clear()
  }
}
