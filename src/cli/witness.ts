/**
 * `shifou witness`: run a C2SP tlog-witness for one or more logs (src/witness), or print its
 * verifier key. The witness is its own program with its own data directory: it shares nothing
 * with the service it witnesses but the log's public key.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseEd25519VerifierKey } from '../crypto/signed-note.ts'
import { cosignatureV1VerifierKey } from '../crypto/cosignature.ts'
import { witnessKey } from '../witness/key.ts'
import { lockDataDir } from '../witness/state.ts'
import { Witness, type WitnessedLog } from '../witness/witness.ts'
import { witnessServer } from '../witness/server.ts'
import { parseCommand, UsageError } from './args.ts'
import { witness as spec, witnessPublicKey } from './specs/witness.ts'

export async function witness (argv: string[]): Promise<number> {
  if (argv[0] === 'public-key') {
    const { values } = parseCommand(witnessPublicKey, argv.slice(1))
    const key = witnessKey(dataDir(values['data-dir']))
    process.stdout.write(cosignatureV1VerifierKey(key) + '\n')
    return 0
  }
  const { values } = parseCommand(spec, argv)
  const logs = [
    ...(values.log ?? []).map((vkey, i) => logOf(undefined, vkey, `--log ${i + 1}`)),
    ...logsFile(values.logs)
  ]
  if (logs.length === 0) {
    throw new UsageError('a witness needs at least one log: --log VKEY or --logs FILE')
  }
  if (new Set(logs.map((l) => l.origin)).size !== logs.length) throw new UsageError('each log may be given once')
  const port = values.port === undefined ? 7380 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError('--port must be a port number (0–65535)')
  }
  const host = values.host ?? '127.0.0.1'

  const dir = dataDir(values['data-dir'])
  const key = witnessKey(dir, values.name)
  const unlock = lockDataDir(dir)
  const w = new Witness({
    key,
    logs,
    dataDir: dir,
    onRefused: (e) => {
      line(`refused a signed checkpoint of ${e.origin} (old ${e.oldSize}, size ${e.size}): ${e.reason}`)
    }
  })
  const server = witnessServer({ witness: w, log: process.env.SHIFOU_WITNESS_QUIET === '1' ? undefined : line })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const address = server.address()
  const bound = typeof address === 'object' && address !== null ? address.port : port
  process.stdout.write(`witness ${key.name} listening on http://${host.includes(':') ? `[${host}]` : host}:${bound}\n` +
    `verifier key: ${w.verifierKey}\n` +
    w.sizes().map((s) => `witnessing ${s.origin}, last cosigned size ${s.size}\n`).join(''))
  const stop = (): void => {
    server.close(() => {
      unlock()
      process.exit(0)
    })
    server.closeAllConnections()
  }
  process.once('SIGTERM', stop)
  process.once('SIGINT', stop)
  return -1
}

function dataDir (flag: string | undefined): string {
  const fromEnv = process.env.SHIFOU_WITNESS_DIR
  return resolve(flag ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : './.shifou-witness'))
}

/** A log to witness; without an origin, the key's name is the origin (as shifou's logs have it). */
function logOf (origin: unknown, vkey: unknown, where: string): WitnessedLog {
  const key = typeof vkey === 'string' ? parseEd25519VerifierKey(vkey) : null
  if (key === null) {
    throw new UsageError(`${where}: not an Ed25519 signed-note verifier key (name+hex key ID+base64 key)`)
  }
  const name = origin === undefined ? key.name : origin
  if (typeof name !== 'string' || name === '' || name.includes('\n')) {
    throw new UsageError(`${where}: origin must be one non-empty line`)
  }
  return { origin: name, key }
}

function logsFile (file: string | undefined): WitnessedLog[] {
  if (file === undefined) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new UsageError(`--logs: cannot read ${file} as JSON (${(err as Error).message})`)
  }
  if (!Array.isArray(parsed)) {
    throw new UsageError('--logs: the file must hold a JSON array of {"origin", "verifierKey"}')
  }
  return parsed.map((entry: unknown, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>
    const extra = Object.keys(e).filter((k) => k !== 'origin' && k !== 'verifierKey')
    if (extra.length > 0) throw new UsageError(`--logs: entry ${i}: unknown field ${extra[0]!}`)
    return logOf(e.origin, e.verifierKey, `--logs: entry ${i}`)
  })
}

function line (text: string): void {
  process.stderr.write(`${new Date().toISOString()} ${text}\n`)
}
