/**
 * The servers the benchmarks measure, each in a process of its own (autocannon runs in the parent):
 *
 *   node --import tsx bench/server.ts bare     PORT
 *       a bare Fastify JSON route (the ceiling of the stack)
 *   node --import tsx bench/server.ts ceiling  PORT URL CONNECTOR
 *       one HMAC and one indexed lookup per request (the lookup ceiling)
 *   node --import tsx bench/server.ts service  PORT URL [limits=off] [receipts=off]
 *       shifou itself, everything on unless turned off
 *
 * It prints "ready" on stdout once listening. BENCH_PROCS=N runs N such processes behind one port
 * (node:cluster), as the service runs behind a load balancer (design §12).
 */
import cluster from 'node:cluster'
import Fastify from 'fastify'
import { openDatabase } from '../src/db/client.ts'
import { Keyring } from '../src/keys/keyring.ts'
import { normaliseIdNumber, todayCst } from '../src/matchers/cn-resident-id.ts'
import { buildApp } from '../src/api/app.ts'
import { ADMIT_ALL } from '../src/abuse/admission.ts'
import { NO_RECEIPTS } from '../src/receipts/issuer.ts'
import { BENCH_CONFIG, BENCH_MASTER, POOL_SIZE } from './setup.ts'

const [mode, portText, url, ...extra] = process.argv.slice(2)
const port = Number(portText)
const procs = Number(process.env.BENCH_PROCS ?? 1)
if (!Number.isInteger(procs) || procs < 1) throw new Error('BENCH_PROCS must be a whole number of processes, 1 or more')

if (procs > 1 && cluster.isPrimary) {
  let ready = 0
  let stopping = false
  for (let i = 0; i < procs; i++) {
    cluster.fork().on('message', (m) => { if (m === 'ready' && ++ready === procs) process.stdout.write('ready\n') })
  }
  // The cluster ends as one process would: when a process dies on its own (with its code), or
  // once every process has stopped after a signal.
  cluster.on('exit', (_worker, code) => {
    if (!stopping) process.exit(code ?? 1)
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0)
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true
      for (const w of Object.values(cluster.workers ?? {})) w?.kill(signal)
    })
  }
} else {
  await serve()
  // Exit cleanly on a signal, so that --cpu-prof writes its profile.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0))
  if (cluster.isWorker) process.send!('ready')
  else process.stdout.write('ready\n')
}

async function serve (): Promise<void> {
  if (mode === 'bare') {
    const app = Fastify({ logger: false })
    const hello = { type: 'object', properties: { hello: { type: 'string' } } }
    app.get('/', { schema: { response: { 200: hello } } }, async () => ({ hello: 'world' }))
    await app.listen({ port, host: '127.0.0.1' })
  } else if (mode === 'ceiling') {
    const database = await openDatabase({ url: url!, poolSize: POOL_SIZE })
    const keys = new Keyring(new Map([[1, BENCH_MASTER]])).connector(extra[0]!, 1)
    const [snap] = await database.query<{ id: number }>(
      'select active_snapshot_id as id from connectors where id = $1', [extra[0]])
    const snapshot = Number(snap!.id)
    const app = Fastify({ logger: false })
    app.post('/lookup', {
      schema: {
        body: {
          type: 'object',
          required: ['subject'],
          properties: { subject: { type: 'object', properties: { idNumber: { type: 'string' } } } }
        },
        response: { 200: { type: 'object', properties: { found: { type: 'boolean' } } } }
      }
    }, async (request) => {
      const id = normaliseIdNumber((request.body as { subject: { idNumber: string } }).subject.idNumber, todayCst())
      if (!id.ok) return { found: false }
      const rows = await database.query(
        'select attrs from records where snapshot_id = $1 and subject_hash = $2',
        [snapshot, keys.subjectHash(id.value)]
      )
      return { found: rows.length > 0 }
    })
    await app.listen({ port, host: '127.0.0.1' })
  } else if (mode === 'service') {
    const database = await openDatabase({ url: url!, poolSize: POOL_SIZE })
    const keyring = new Keyring(new Map([[1, BENCH_MASTER]]))
    const app = await buildApp({
      config: BENCH_CONFIG,
      database,
      keyring,
      ownsDatabase: true,
      logger: false,
      ...(extra.includes('limits=off') ? { admission: ADMIT_ALL } : {}),
      ...(extra.includes('receipts=off') ? { receipts: NO_RECEIPTS } : {})
    })
    await app.listen({ port, host: '127.0.0.1' })
  } else {
    throw new Error('mode must be bare, ceiling or service')
  }
}
