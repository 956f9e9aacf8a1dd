/**
 * `shifou load --connector C --as-of D FILE`: streams a snapshot file to a running service
 * (PUT /v1/connectors/:id/snapshot) with a progress bar, and prints the load report.
 */
import { createReadStream, statSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import cliProgress from 'cli-progress'
import { loadConfig, loadDotEnv } from '../config.ts'
import { mintToken } from '../tokens.ts'
import { parse, required, UsageError } from './args.ts'

interface Report { status: number, body: Record<string, unknown> }

export async function load (argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    connector: { type: 'string' },
    'as-of': { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
    format: { type: 'string' }
  }, true)
  const connector = required(values.connector, '--connector')
  const asOf = required(values['as-of'], '--as-of')
  const file = positionals[0]
  if (file === undefined || positionals.length > 1) throw new UsageError('give exactly one FILE')
  const format = values.format ?? (file.endsWith('.ndjson') || file.endsWith('.jsonl') ? 'ndjson' : 'csv')
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format must be csv or ndjson')
  loadDotEnv()
  const config = loadConfig()
  const token = values.token ?? process.env.SHIFOU_TOKEN ?? (config.jwtSecret.length > 0
    ? mintToken(config.jwtSecret, config.issuer, { sub: 'cli-load', role: 'admin' }, 3600)
    : undefined)
  if (token === undefined) throw new UsageError('give --token (or SHIFOU_TOKEN): no SHIFOU_JWT_SECRET to mint one')
  const base = values.url ?? `http://127.0.0.1:${config.port}`
  const url = new URL(`/v1/connectors/${encodeURIComponent(connector)}/snapshot?asOf=${encodeURIComponent(asOf)}`, base)
  const size = statSync(file).size

  const bar = new cliProgress.SingleBar({
    format: 'loading {bar} {percentage}% | {value}/{total} KiB | {eta_formatted} left',
    noTTYOutput: true,
    notTTYSchedule: 5000,
    stream: process.stderr
  }, cliProgress.Presets.shades_classic)
  const kib = (n: number): number => Math.ceil(n / 1024)
  bar.start(kib(size), 0)
  let sent = 0
  const counter = new Transform({
    transform (chunk: Buffer, _enc, done) {
      sent += chunk.length
      bar.update(kib(sent))
      done(null, chunk)
    }
  })

  // The bar runs a timer: it is stopped however the upload ends, or a failed upload would leave the
  // command waiting forever (a refused connection did).
  const report = await new Promise<Report>((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(url, {
      method: 'PUT',
      headers: {
        authorization: 'Bearer ' + token,
        'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        'content-length': String(size)
      }
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
          resolve({ status: res.statusCode ?? 0, body })
        } catch {
          resolve({ status: res.statusCode ?? 0, body: {} })
        }
      })
    })
    req.on('error', reject)
    // The service may answer early (a missing column); then the rest of the upload is moot.
    pipeline(createReadStream(file), counter, req).catch(() => {})
  }).finally(() => { bar.stop() })

  if (report.status === 201) {
    const s = report.body.snapshot as Record<string, unknown>
    process.stdout.write(`snapshot ${s.id} of ${connector} is active: ` +
      `${s.rows} rows, ${s.subjects} subjects, ${s.rejectedCount} rejected, as of ${s.asOf}\n`)
    printRejected(s)
    return 0
  }
  const { code, detail } = report.body
  process.stderr.write(`load failed: ${report.status} ${String(code ?? '')} ${String(detail ?? '')}\n`)
  printRejected(report.body)
  return 1
}

function printRejected (body: Record<string, unknown>): void {
  const rejected = body.rejected as Array<{ line: number, field: string, code: string }> | undefined
  if (rejected === undefined || rejected.length === 0) return
  for (const r of rejected.slice(0, 20)) process.stdout.write(`  line ${r.line}: ${r.field || '(row)'} ${r.code}\n`)
  if (rejected.length > 20) process.stdout.write(`  … ${rejected.length - 20} more listed in the report\n`)
  const ignored = body.ignoredColumns as string[] | undefined
  if (ignored !== undefined && ignored.length > 0) process.stdout.write(`  ignored columns: ${ignored.join(', ')}\n`)
}
