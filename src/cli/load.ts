/**
 * `shifou load --connector C --as-of D FILE`: streams a snapshot file to a running service
 * (PUT /v1/connectors/:id/snapshot) with a progress bar, and prints the load report: rejected rows
 * grouped by code, and where the full reject report is (written to a file with --report).
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import cliProgress from 'cli-progress'
import { loadDotEnv } from '../config.ts'
import { encodingOf } from '../connectors/rows.ts'
import { parseCommand, UsageError } from './args.ts'
import { bearerToken } from './bearer.ts'
import { endpoint, refused, serviceBase, unreachable } from './service.ts'
import { load as spec } from './specs/load.ts'

interface Report { status: number, body: Record<string, unknown> }
type Send = (url: URL, opts: { method: string, headers: Record<string, string> },
  cb: (res: IncomingMessage) => void) => ReturnType<typeof httpRequest>

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
  const encoding = encodingOf(values.encoding ?? null)
  if (encoding === null) throw new UsageError('--encoding must be utf-8 or gb18030 (also gbk, gb2312)')
  const size = fileSize(file)
  loadDotEnv()
  const base = serviceBase(values.url)
  const token = bearerToken(values.token, process.env, { sub: 'cli-load', role: 'admin' }, 3600)
  if (token === undefined) {
    throw new UsageError('give --token T (or set SHIFOU_TOKEN): there is no SHIFOU_JWT_SECRET to mint one with')
  }
  const path = `/v1/connectors/${encodeURIComponent(connector)}/snapshot?asOf=${encodeURIComponent(asOf)}`
  const url = endpoint(base, path)
  const send: Send = url.protocol === 'https:' ? httpsRequest : httpRequest

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
  const type = (format === 'csv' ? 'text/csv' : 'application/x-ndjson') +
    (encoding === 'utf-8' ? '' : '; charset=gb18030')
  const report = await new Promise<Report>((resolve, reject) => {
    const req = send(url, {
      method: 'PUT',
      headers: { authorization: 'Bearer ' + token, 'content-type': type, 'content-length': String(size) }
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

  const ok = report.status === 201
  const s = (ok ? report.body.snapshot : report.body) as Record<string, unknown>
  if (ok) {
    process.stdout.write(`snapshot ${String(s.id)} of ${connector} is active: ${String(s.rows)} rows, ` +
      `${String(s.subjects)} subjects, ${String(s.rejectedCount)} rejected, as of ${String(s.asOf)}\n`)
  }
  printSummary(s)
  const snapshot = ok ? s.id : report.body.snapshot
  if (typeof snapshot === 'number') {
    const rejectsPath = `/v1/connectors/${encodeURIComponent(connector)}/snapshots/${snapshot}/rejects`
    if (values.report !== undefined) {
      const written = await saveReport(send, endpoint(base, rejectsPath), token, values.report)
      process.stdout.write(written === null
        ? `  the reject report could not be fetched; it is at GET ${rejectsPath}\n`
        : `  full report of rejected rows: ${values.report} (${written} rows)\n`)
    } else if (Number(s.rejectedCount ?? 0) > 0) {
      process.stdout.write(`  every rejected row and why: add --report FILE, or GET ${rejectsPath}\n`)
    }
  }
  if (ok) return 0
  throw refused(report.status, report.body, { action: `loading ${file} into ${connector}`, connector })
}

/** Rejects grouped by code, the subjects held back, a few rejected rows, the ignored columns. */
function printSummary (s: Record<string, unknown>): void {
  const byCode = (s.rejectedByCode ?? {}) as Record<string, number>
  const codes = Object.entries(byCode).sort((a, b) => b[1] - a[1])
  if (codes.length > 0) {
    process.stdout.write('  rejected rows by code:\n')
    const width = Math.max(...codes.map(([c]) => c.length))
    for (const [code, n] of codes) process.stdout.write(`    ${code.padEnd(width)}  ${n}\n`)
  }
  const unreadable = Number(s.unreadableSubjects ?? 0)
  if (unreadable > 0) {
    process.stdout.write(`  ${unreadable} subjects behind rejected rows: questions about them are refused ` +
      'until a corrected file is loaded\n')
  }
  const unlinkable = Number(s.unlinkableRows ?? 0)
  if (unlinkable > 0) {
    process.stdout.write(`  ${unlinkable} rejected rows have an ID number that cannot be read at all\n`)
  }
  const rejected = (s.rejected ?? []) as Array<{ line: number, field: string, code: string, reason?: string }>
  if (rejected.length > 0) {
    process.stdout.write('  first rejected rows:\n')
    for (const r of rejected.slice(0, 10)) {
      const why = r.reason === undefined ? '' : ' — ' + r.reason
      process.stdout.write(`    line ${r.line}: ${r.field || '(row)'} ${r.code}${why}\n`)
    }
  }
  const ignored = s.ignoredColumns as string[] | undefined
  if (ignored !== undefined && ignored.length > 0) process.stdout.write(`  ignored columns: ${ignored.join(', ')}\n`)
}

/** Writes the reject report to `path`; the number of rejected rows in it, or null if it could not be fetched. */
async function saveReport (send: Send, url: URL, token: string, path: string): Promise<number | null> {
  return await new Promise<number | null>((resolve) => {
    const req = send(url, { method: 'GET', headers: { authorization: 'Bearer ' + token } }, (res) => {
      if (res.statusCode !== 200) { res.resume(); resolve(null); return }
      let lines = 0
      const count = new Transform({
        transform (chunk: Buffer, _enc, done) {
          for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++
          done(null, chunk)
        }
      })
      pipeline(res, count, createWriteStream(path)).then(() => resolve(Math.max(0, lines - 1)), () => resolve(null))
    })
    req.on('error', () => resolve(null))
    req.end()
  })
}
