/**
 * Loading (issue "performance"): a CSV of N rows through `shifou load` (HTTP, streamed, to a
 * running service) against the least work that makes the same rows answerable — a raw COPY of
 * the file into a plain table followed by an index on its ID column — in the same run. Also the
 * service's peak RSS after loading N and after loading 5·N rows: it must not grow with file size.
 */
import { createWriteStream, createReadStream, statSync, unlinkSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { benchCsv, BENCH_SECRET } from './setup.ts'
import { startServer } from './http.ts'
import { median, spread } from './stats.ts'

export interface LoadingFigures {
  rows: number
  shifouRowsPerSec: number
  copyRowsPerSec: number
  /** the median of `ratios`, one a round */
  ratio: number
  ratios: number[]
  peakRssMb: Record<string, number>
}

export async function writeCsv (rows: number, seed: number): Promise<string> {
  const path = join(tmpdir(), `shifou-bench-${rows}-${seed}.csv`)
  await pipeline(Readable.from(benchCsv(rows, seed)), createWriteStream(path))
  return path
}

export async function shifouLoad (serverUrl: string, file: string): Promise<number> {
  const started = Date.now()
  const shifou = new URL('../bin/shifou.js', import.meta.url).pathname
  const args = [shifou, 'load', '--connector', 'tax', '--as-of', '2026-11-02', '--url', serverUrl, file]
  const code = await new Promise<number>((resolve) => {
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'inherit', 'ignore'],
      env: {
        ...process.env,
        SHIFOU_JWT_SECRET: Buffer.from(BENCH_SECRET).toString('base64'),
        SHIFOU_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        SHIFOU_CHECKPOINT_KEY: Buffer.alloc(32, 1).toString('base64'),
        DATABASE_URL: 'postgres://unused'
      }
    })
    proc.on('exit', (c) => resolve(c ?? 1))
  })
  if (code !== 0) throw new Error('shifou load failed')
  return (Date.now() - started) / 1000
}

export async function copyAndIndex (url: string, file: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  await sql.unsafe('drop table if exists bench_raw')
  await sql.unsafe('create table bench_raw (id_number text, year integer, amount numeric)')
  const started = Date.now()
  const w = await sql.unsafe('copy bench_raw from stdin with (format csv, header true)').writable()
  await pipeline(createReadStream(file), w)
  await sql.unsafe('create index on bench_raw (id_number)')
  const seconds = (Date.now() - started) / 1000
  await sql.unsafe('drop table bench_raw')
  await sql.end()
  return seconds
}

export async function loadingBench (url: string, rows: number, log: (line: string) => void): Promise<LoadingFigures> {
  const service = await startServer(['service', url], 18105)
  const peak: Record<string, number> = { start: service.peakRssMb() }
  // Interleaved and repeated: COPY and shifou load alternate which goes first, a new file each round
  // (the same rows loaded again would be the same snapshot), and each ratio is taken within its round.
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const loads: number[] = []
  const copies: number[] = []
  for (let round = 0; round < rounds; round++) {
    const file = await writeCsv(rows, 5 + round)
    if (round === 0) log(`CSV of ${rows.toLocaleString('en')} rows: ${(statSync(file).size / 1048576).toFixed(0)} MiB`)
    if (round % 2 === 0) {
      copies.push(await copyAndIndex(url, file))
      loads.push(await shifouLoad(service.url, file))
    } else {
      loads.push(await shifouLoad(service.url, file))
      copies.push(await copyAndIndex(url, file))
    }
    unlinkSync(file)
  }
  peak[String(rows)] = service.peakRssMb()
  const ratios = loads.map((l, i) => copies[i]! / l)
  const shifouRowsPerSec = rows / median(loads)
  const copyRowsPerSec = rows / median(copies)
  const perSec = (rate: number): string => Math.round(rate).toLocaleString('en')
  log(`shifou load: ${median(loads).toFixed(1)} s (${spread(loads, 1)}), ${perSec(shifouRowsPerSec)} rows/s; ` +
    `COPY + index: ${median(copies).toFixed(1)} s (${spread(copies, 1)}), ${perSec(copyRowsPerSec)} rows/s; ` +
    `ratio ${median(ratios).toFixed(2)} (${spread(ratios, 2)}) over ${rounds} interleaved rounds (target ≥ 0.33)`)
  const big = rows * 5
  if (process.env.BENCH_SKIP_BIG_LOAD === undefined) {
    const bigFile = await writeCsv(big, 6)
    await shifouLoad(service.url, bigFile)
    peak[String(big)] = service.peakRssMb()
    unlinkSync(bigFile)
  }
  await service.stop()
  const when = (k: string): string => k === 'start' ? 'at start' : `after ${Number(k).toLocaleString('en')} rows`
  log(`service peak RSS: ${Object.entries(peak).map(([k, v]) => `${when(k)} ${v.toFixed(0)} MiB`).join(', ')}`)
  return { rows, shifouRowsPerSec, copyRowsPerSec, ratio: median(ratios), ratios, peakRssMb: peak }
}
