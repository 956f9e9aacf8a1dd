/**
 * `shifou agent`: the live department agent (src/agent, design §14.3) — load the department's
 * file into the agent's own index, then answer the hub's signed lookups until SIGTERM; SIGHUP
 * (or --reload-minutes) reloads the file while the previous data keeps answering.
 * `shifou agent public-key` prints the agent's key; `shifou agent log` its log.
 */
import { resolve } from 'node:path'
import { statSync } from 'node:fs'
import { encodingOf } from '../connectors/rows.ts'
import { todayCst } from '../matchers/cn-resident-id.ts'
import { agentSigningKey, parsePublicKey } from '../agent/identity.ts'
import { parseAgentKey } from '../agent/key.ts'
import { AgentStore } from '../agent/store.ts'
import { agentServer } from '../agent/server.ts'
import { isShifouError } from '../errors.ts'
import { checkSource, type SourceSpec } from '../connectors/pull/source.ts'
import { parseCommand, UsageError } from './args.ts'
import { agent as spec, agentLog, agentPublicKey } from './specs/agent.ts'

export async function agent (argv: string[]): Promise<number> {
  if (argv[0] === 'public-key') {
    const { values } = parseCommand(agentPublicKey, argv.slice(1))
    process.stdout.write(agentSigningKey(dataDir(values['data-dir'])).publicKey + '\n')
    return 0
  }
  if (argv[0] === 'log') return await printLog(argv.slice(1))
  const { values } = parseCommand(spec, argv)
  const key = agentKey()
  if (key.connector.id !== values.connector) {
    throw new UsageError(`SHIFOU_AGENT_KEY is the key of connector ${key.connector.id}, not ${values.connector!}`)
  }
  const hubKey = parsePublicKey(values['hub-key']!)
  if (hubKey === null) throw new UsageError('--hub-key must be the hub\'s public key: base64url of 32 bytes')
  const from = dataFrom(values.data, values['source-url'], values.query)
  const file = 'file' in from ? from.file : ''
  const format = values.format ?? (file.endsWith('.ndjson') || file.endsWith('.jsonl') ? 'ndjson' : 'csv')
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format must be csv or ndjson')
  const encoding = encodingOf(values.encoding ?? null)
  if (encoding === null) throw new UsageError('--encoding must be utf-8 or gb18030 (also gbk, gb2312)')
  const port = values.port === undefined ? 7390 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number')
  const reloadMinutes = values['reload-minutes'] === undefined ? null : Number(values['reload-minutes'])
  if (reloadMinutes !== null && !(Number.isInteger(reloadMinutes) && reloadMinutes > 0)) {
    throw new UsageError('--reload-minutes must be a whole number of minutes')
  }
  const asOfFlag = values['as-of']
  if (asOfFlag !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOfFlag)) {
    throw new UsageError('--as-of must be a date like 2026-11-27')
  }

  const dir = dataDir(values['data-dir'])
  const signing = agentSigningKey(dir)
  const store = await AgentStore.open(key, { url: databaseUrl(), dataDir: dir })
  let loading: Promise<void> | null = null
  const reload = async (): Promise<void> => {
    const asOf = asOfFlag ?? dashed(todayCst())
    try {
      const r = await store.load(from, { format, encoding, asOf })
      line(`loaded snapshot ${r.id}: ${r.rows} rows, ${r.subjects} subjects, ${r.rejectedCount} rejected, ` +
        `${r.unreadableSubjects} unreadable subjects, as of ${r.asOf}`)
    } catch (err) {
      const why = isShifouError(err) ? `${err.code}: ${err.detail}` : (err as Error).message
      line(`the load failed, the previous data keeps answering: ${why}`)
    }
  }
  const reloadOnce = (): void => {
    loading ??= reload().finally(() => { loading = null })
  }
  await reload()
  const quiet = process.env.SHIFOU_AGENT_QUIET === '1'
  const server = agentServer({ store, key: signing, hubKey, log: quiet ? undefined : line })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, values.host ?? '127.0.0.1', resolve)
  })
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  process.stdout.write(`agent for connector ${key.connector.id} listening on http://${values.host ?? '127.0.0.1'}:` +
    `${bound}\npublic key: ${signing.publicKey}\n`)
  const timer = reloadMinutes === null ? null : setInterval(reloadOnce, reloadMinutes * 60_000)
  process.on('SIGHUP', reloadOnce)
  const stop = (): void => {
    if (timer !== null) clearInterval(timer)
    server.close(() => { void store.close().finally(() => process.exit(0)) })
    server.closeAllConnections()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return -1
}

async function printLog (argv: string[]): Promise<number> {
  const { values } = parseCommand(agentLog, argv)
  const from = Number(values.from ?? 0)
  const limit = Number(values.limit ?? 1000)
  if (!Number.isSafeInteger(from) || from < 0) throw new UsageError('--from must be an entry index (0 or more)')
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive number')
  const store = await AgentStore.open(agentKey(), { url: databaseUrl(), dataDir: dataDir(values['data-dir']) })
  try {
    for (const entry of await store.log(from, limit)) process.stdout.write(JSON.stringify(entry) + '\n')
  } finally {
    await store.close()
  }
  return 0
}

/** A file (--data), or the department's database (--source-url and --query, as a pull connector's source). */
function dataFrom (data: string | undefined, url: string | undefined, query: string | undefined):
{ file: string } | { source: SourceSpec } {
  if ((data === undefined) === (url === undefined)) {
    throw new UsageError('give either --data FILE or --source-url URL with --query Q')
  }
  if (data !== undefined) {
    if (query !== undefined) throw new UsageError('--query goes with --source-url, not with --data')
    try {
      if (!statSync(data).isFile()) throw new UsageError(`--data ${data} is not a file`)
    } catch (err) {
      if (err instanceof UsageError) throw err
      throw new UsageError(`cannot read --data ${data}: ${(err as Error).message}`)
    }
    return { file: data }
  }
  if (query === undefined) throw new UsageError('--source-url needs --query (a SELECT, or select * from a view)')
  const engine = /^(postgres|postgresql):/.test(url!) ? 'postgres' : /^(mysql|mariadb):/.test(url!) ? 'mysql' : null
  if (engine === null) {
    throw new UsageError('--source-url must start with postgres:// (PostgreSQL family) or mysql:// (MySQL family)')
  }
  const source: SourceSpec = { engine, url: url!, query }
  try {
    checkSource(source)
  } catch (err) {
    const detail = isShifouError(err) ? err.detail : (err as Error).message
    throw new UsageError(detail.replaceAll('source.url', '--source-url').replaceAll('source.query', '--query'))
  }
  return { source }
}

function agentKey (): ReturnType<typeof parseAgentKey> {
  const text = process.env.SHIFOU_AGENT_KEY
  if (text === undefined || text === '') {
    throw new UsageError('set SHIFOU_AGENT_KEY to the connector\'s key (shifou keys export --connector C on the hub)')
  }
  try {
    return parseAgentKey(text)
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

function dataDir (flag: string | undefined): string {
  const fromEnv = process.env.SHIFOU_DATA_DIR
  return resolve(flag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : './.shifou-agent'))
}

function databaseUrl (): string | null {
  const url = process.env.DATABASE_URL
  return url === undefined || url === '' ? null : url
}

const dashed = (ymd: string): string => `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`

function line (text: string): void {
  process.stderr.write(`${new Date().toISOString()} ${text}\n`)
}
