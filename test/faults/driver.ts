/**
 * The load of the fault suite: verifications with a unique case id each, over keep-alive
 * connections, each request recorded (when it was sent, when and how it ended, the verification id
 * and audit index of an answer) so that every response can be joined with the audit log.
 *
 * Open loop: requests go out at a fixed rate whatever the service does, as callers would keep
 * arriving during an outage; a closed loop would stop sending exactly when the service stalls.
 */
import { Agent, request } from 'node:http'
import { benchIds, callerToken } from '../../bench/setup.ts'

export interface Sent {
  scenario: string
  caseId: string
  port: number
  start: number
  /** When the response (or the error) came; undefined while outstanding. */
  end?: number
  status?: number
  code?: string
  verification?: string
  index?: number
  /** A connection error (refused, reset) or `timeout` (no response within the client's limit). */
  error?: string
}

export interface DriverOptions {
  /** Distinct subjects drawn from the benchmark population. */
  population: number
  clients: number
  /** The client gives up on a request after this long (and counts it as hung). */
  giveUpMs: number
}

export class Driver {
  readonly records: Sent[] = []
  readonly #opts: DriverOptions
  readonly #ids: string[]
  readonly #tokens: string[]
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 4096 })
  #outstanding = new Set<Promise<void>>()
  #seq = 0

  constructor (opts: DriverOptions) {
    this.#opts = opts
    this.#ids = [...benchIds(opts.population)]
    this.#tokens = Array.from({ length: opts.clients }, (_, c) => callerToken(c))
  }

  get outstanding (): number {
    return this.#outstanding.size
  }

  /** One request; resolves with its record once it has ended. */
  send (scenario: string, port: number): Promise<Sent> {
    const seq = this.#seq++
    const record: Sent = { scenario, caseId: `F-${scenario}-${seq}`, port, start: performance.now() }
    this.records.push(record)
    const body = JSON.stringify({
      subject: { idNumber: this.#ids[seq % this.#ids.length] },
      questions: [{ id: 'tax.q0', params: { year: 2020 } }],
      purpose: 'benchmark',
      caseId: record.caseId
    })
    const done = new Promise<void>((resolve) => {
      let settled = false
      const finish = (fields: Partial<Sent>): void => {
        if (settled) return
        settled = true
        Object.assign(record, fields, { end: performance.now() })
        resolve()
      }
      const req = request({
        agent: this.#agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/verifications',
        headers: {
          authorization: 'Bearer ' + this.#tokens[seq % this.#tokens.length]!,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body)
        }
      }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (err) => finish({ error: (err as NodeJS.ErrnoException).code ?? 'ERROR' }))
        res.on('end', () => {
          let parsed: { code?: string, id?: string, answers?: Array<{ auditIndex: number }> } = {}
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
          } catch { /* not JSON: Fastify's default 503 while closing */ }
          finish({
            status: res.statusCode ?? 0,
            ...(parsed.code === undefined ? {} : { code: parsed.code }),
            ...(parsed.id === undefined ? {} : { verification: parsed.id }),
            ...(parsed.answers?.[0] === undefined ? {} : { index: parsed.answers[0].auditIndex })
          })
        })
      })
      req.setTimeout(this.#opts.giveUpMs, () => { finish({ error: 'timeout' }); req.destroy() })
      req.on('error', (err) => finish({ error: (err as NodeJS.ErrnoException).code ?? 'ERROR' }))
      req.end(body)
    })
    this.#outstanding.add(done)
    void done.then(() => this.#outstanding.delete(done))
    return done.then(() => record)
  }

  /** Requests at `rate` per second, spread over `ports`, until `stop` is called. */
  openLoop (scenario: string, ports: () => number[], rate: number): { stop: () => Promise<void> } {
    const started = performance.now()
    let sent = 0
    const timer = setInterval(() => {
      const due = Math.floor((performance.now() - started) * rate / 1000) - sent
      const targets = ports()
      for (let i = 0; i < Math.min(due, 200); i++) {
        void this.send(scenario, targets[sent % targets.length]!)
        sent++
      }
    }, 5)
    return {
      stop: async () => {
        clearInterval(timer)
        await Promise.all([...this.#outstanding])
      }
    }
  }

  /** Answers per second with `concurrency` requests always in flight for `ms` (the capacity). */
  async closedLoop (scenario: string, port: number, concurrency: number, ms: number): Promise<number> {
    const until = performance.now() + ms
    let answered = 0
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) if ((await this.send(scenario, port)).status === 200) answered++
    }))
    return answered / (ms / 1000)
  }

  close (): void {
    this.#agent.destroy()
  }
}
