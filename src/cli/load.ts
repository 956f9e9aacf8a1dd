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
import { loadDotEnv } from '../config.ts'
import { parseCommand, UsageError } from './args.ts'
import { bearerToken } from './bearer.ts'
import { endpoint, refused, serviceBase, unreachable } from './service.ts'
import { load as spec } from './specs/load.ts'

interface Report { status: number, body: Record<string, unknown> }

function fileSize (file: string): number {
  try {
    const stat = statSync(file)
    if (!stat.isFile()) throw new UsageError(`FILE ${file} is not a file`)
    return stat.size
  } catch (err) {
    if (err instanceof UsageError) throw err
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
    throw new UsageError(`cannot read FILE ${file}: ${why}`)
  }
}

export async function load (argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(spec, argv)
  const connector = values.connector!
  const asOf = values['as-of']!
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    throw new UsageError('--as-of must be a date like 2026-11-27 (the date the data describes)')
  }
  const file = positionals[0]!
  const format = values.format ?? (file.endsWith('.ndjson') || file.endsWith('.jsonl') ? 'ndjson' : 'csv')
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('--format must be csv or ndjson')
  const size = fileSize(file)
  loadDotEnv()
  const base = serviceBase(values.url)
  const token = bearerToken(values.token, process.env, { sub: 'cli-load', role: 'admin' }, 3600)
  if (token === undefined) {
    throw new UsageError('give --token T (or set SHIFOU_TOKEN): there is no SHIFOU_JWT_SECRET to mint one with')
  }
  const path = `/v1/connectors/${encodeURIComponent(connector)}/snapshot?asOf=${encodeURIComponent(asOf)}`
  const url = endpoint(base, path)

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
  let answered = false
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
      answered = true
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
    // Once the service has answered, a failure of the rest of the upload is moot (it answered early).
    req.on('error', (err) => { if (!answered) reject(unreachable(base, err)) })
    // The service may answer early (a missing column); then the rest of the upload is moot.
    pipeline(createReadStream(file), counter, req).catch(() => {})
  }).finally(() => { bar.stop() })

  if (report.status === 201) {
    const s = report.body.snapshot as Record<string, unknown>
    process.stdout.write(`snapshot ${s.id} of ${connector} is active: ${s.rows} rows, ${s.subjects} subjects, ` +
      `${s.rejectedCount} rejected, as of ${s.asOf}\n`)
    printRejected(s)
    return 0
  }
  printRejected(report.body)
  throw refused(report.status, report.body, { action: `loading ${file} into ${connector}`, connector })
}

function printRejected (body: Record<string, unknown>): void {
  const rejected = body.rejected as Array<{ line: number, field: string, code: string }> | undefined
  if (rejected === undefined || rejected.length === 0) return
  for (const r of rejected.slice(0, 20)) process.stdout.write(`  line ${r.line}: ${r.field || '(row)'} ${r.code}\n`)
  if (rejected.length > 20) process.stdout.write(`  … ${rejected.length - 20} more listed in the report\n`)
  const ignored = body.ignoredColumns as string[] | undefined
  if (ignored !== undefined && ignored.length > 0) process.stdout.write(`  ignored columns: ${ignored.join(', ')}\n`)
}
