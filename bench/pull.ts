/**
 * Pulling (issue 16 part 6, design §14.2 and §11): a sync of N rows from a department's database
 * (a second PostgreSQL database on the same server) through POST /v1/connectors/:id/sync, against
 *   - `COPY (select …) TO STDOUT` of the same rows piped into the service's upload (what
 *     `shifou load` sends: PUT /v1/connectors/:id/snapshot, streamed), and
 *   - the raw baseline of §11: COPY of the same CSV into a plain table plus an index on its ID column.
 * The sync and the baseline in BENCH_ROUNDS (3) interleaved rounds (which goes first alternates; one
 * row of the department's table changes before each sync, so that no sync ends `unchanged`), the
 * ratio taken within each round and reported as the median and spread of the rounds; the COPY pipe
 * once, after them. The service's peak RSS (VmHWM) after the pulls, which must not grow with N (the
 * rows are streamed, never held). Target: pull ≥ 0.33× the baseline's rows/s.
 *
 *   node --import tsx bench/pull.ts        BENCH_ROWS (1,000,000) rows; BENCH_PULL_ROWS overrides
 */
import { Readable } from 'node:stream'
import { unlinkSync } from 'node:fs'
import postgres from 'postgres'
import { scratchDatabase } from './db.ts'
import { benchCsv, BENCH_CONFIG, BENCH_MASTER, BENCH_SECRET, registerBench } from './setup.ts'
import { startServer } from './http.ts'
import { copyAndIndex, writeCsv } from './loading.ts'
import { median, spread } from './stats.ts'
import { createConnector } from '../src/registry/store.ts'
import { Keyring } from '../src/keys/keyring.ts'
import { sealSource, SOURCE_KEY_INFO } from '../src/connectors/pull/secret.ts'
import { mintToken } from '../src/tokens.ts'

export interface PullFigures {
  rows: number
  /** at the median of the rounds' syncs */
  pullRowsPerSec: number
  copyPipeRowsPerSec: number
  /** at the median of the rounds' baselines */
  baselineRowsPerSec: number
  /** the median of `ratios`, one a round */
  ratioToBaseline: number
  ratios: number[]
  /** the COPY pipe against the median sync */
  ratioToCopyPipe: number
  peakRssMb: Record<string, number>
}

const ADMIN = { sub: 'bench-admin', role: 'admin' as const }

export async function pullBench (rows: number, log: (line: string) => void): Promise<PullFigures> {
  const hub = await scratchDatabase(4)
  const dept = await scratchDatabase(1)
  const file = await writeCsv(rows, 7)
  let service: Awaited<ReturnType<typeof startServer>> | null = null
  try {
    await registerBench(hub.database)
    const sourceKey = new Keyring(new Map([[1, BENCH_MASTER]])).derive(SOURCE_KEY_INFO)
    await createConnector({
      database: hub.database,
      onChange: () => {},
      sealSource: (id, url) => sealSource(sourceKey, id, url)
    }, ADMIN, {
      id: 'tax-pull',
      department: 'tax',
      title: 'Income tax, pulled',
      kind: 'pull',
      source: { engine: 'postgres', url: dept.url, query: 'select * from dept_tax' },
      subject: { field: 'id_number', type: 'cn_resident_id' },
      fields: [{ name: 'year', type: 'integer' }, { name: 'amount', type: 'number' }]
    })
    // The department's table: the same rows as the CSV file.
    const source = postgres(dept.url, { max: 1, onnotice: () => {} })
    await source.unsafe('create table dept_tax (id_number text, year integer, amount numeric)')
    const into = await source.unsafe('copy dept_tax from stdin with (format csv, header true)').writable()
    await new Promise<void>((resolve, reject) => {
      Readable.from(benchCsv(rows, 7)).pipe(into).on('finish', resolve).on('error', reject)
    })
    await source.unsafe('vacuum analyze dept_tax')

    service = await startServer(['service', hub.url], 18106)
    const peak: Record<string, number> = { start: service.peakRssMb() }
    const token = mintToken(BENCH_SECRET, BENCH_CONFIG.issuer, ADMIN, 3600)
    const auth = { authorization: 'Bearer ' + token }

    const sync = async (): Promise<number> => {
      await source.unsafe('update dept_tax set amount = amount + 1 where ctid = (select ctid from dept_tax limit 1)')
      const started = Date.now()
      const synced = await fetch(`${service!.url}/v1/connectors/tax-pull/sync`, { method: 'POST', headers: auth })
      if (synced.status !== 200) throw new Error(`sync failed: ${synced.status} ${await synced.text()}`)
      const { unchanged } = await synced.json() as { unchanged: boolean }
      if (unchanged) throw new Error('the sync found the rows unchanged')
      return (Date.now() - started) / 1000
    }
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
    const pulls: number[] = []
    const baselines: number[] = []
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        baselines.push(await copyAndIndex(hub.url, file))
        pulls.push(await sync())
      } else {
        pulls.push(await sync())
        baselines.push(await copyAndIndex(hub.url, file))
      }
    }
    peak.pull = service.peakRssMb()
    const pullSeconds = median(pulls)
    const baselineSeconds = median(baselines)
    const ratios = pulls.map((p, i) => baselines[i]! / p)

    const started = Date.now()
    const copy = await source.unsafe('copy (select * from dept_tax) to stdout (format csv, header)').readable()
    const loaded = await fetch(`${service.url}/v1/connectors/tax/snapshot?asOf=2026-11-02`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: Readable.toWeb(copy) as ReadableStream,
      duplex: 'half'
    } as RequestInit)
    if (loaded.status !== 201) throw new Error(`load failed: ${loaded.status} ${await loaded.text()}`)
    const pipeSeconds = (Date.now() - started) / 1000
    peak.copyPipe = service.peakRssMb()
    await source.end()

    const rate = (s: number): number => rows / s
    const n = (r: number): string => Math.round(r).toLocaleString('en')
    const figures: PullFigures = {
      rows,
      pullRowsPerSec: rate(pullSeconds),
      copyPipeRowsPerSec: rate(pipeSeconds),
      baselineRowsPerSec: rate(baselineSeconds),
      ratioToBaseline: median(ratios),
      ratios,
      ratioToCopyPipe: pipeSeconds / pullSeconds,
      peakRssMb: peak
    }
    log(`pull (sync) of ${rows.toLocaleString('en')} rows: ${pullSeconds.toFixed(1)} s (${spread(pulls, 1)}), ` +
      `${n(figures.pullRowsPerSec)} rows/s; COPY + index: ${baselineSeconds.toFixed(1)} s (${spread(baselines, 1)}), ` +
      `${n(figures.baselineRowsPerSec)} rows/s; COPY TO STDOUT piped into the upload (once): ` +
      `${pipeSeconds.toFixed(1)} s, ${n(figures.copyPipeRowsPerSec)} rows/s`)
    log(`pull / baseline ${figures.ratioToBaseline.toFixed(2)} (${spread(ratios, 2)}) over ${rounds} interleaved ` +
      'rounds (target ≥ 0.33); pull / COPY-pipe ' +
      `${figures.ratioToCopyPipe.toFixed(2)}; service peak RSS: at start ${peak.start!.toFixed(0)} MiB, ` +
      `after the pulls ${peak.pull!.toFixed(0)} MiB, after the COPY pipe ${peak.copyPipe!.toFixed(0)} MiB`)
    return figures
  } finally {
    await service?.stop()
    unlinkSync(file)
    await dept.drop()
    await hub.drop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = Number(process.env.BENCH_PULL_ROWS ?? process.env.BENCH_ROWS ?? 1_000_000)
  await pullBench(rows, console.log)
}
