/**
 * Line coverage per folder of src/, after a full `tap` run (npm test runs it next), and the bar for
 * the modules that carry the guarantees: audit, matchers, receipts and abuse above 90% of lines.
 *
 * tap collects V8 coverage of each test process in .tap/coverage. tsx's source maps list each .ts
 * file with `sourcesContent: [null]`, which v8-to-istanbul takes as the original text, so every file
 * would count as one line: the maps are mended here (without the key, the .ts file is read from
 * disk) and the report made again from them with `tap report`. A guarded file that no test loads is
 * a failure too (coverage only sees the files that were loaded).
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'

const GUARDED = ['audit', 'matchers', 'receipts', 'abuse']
const BAR = 90
const root = process.cwd()

interface SourceMapCache { [url: string]: { data?: { sourcesContent?: unknown[] } } }
interface Counts { total: number, covered: number }

function mendSourceMaps (dir: string): number {
  let files: string[]
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'))
  } catch {
    return 0
  }
  for (const file of files) {
    const path = join(dir, file)
    const coverage = JSON.parse(readFileSync(path, 'utf8')) as { 'source-map-cache'?: SourceMapCache }
    let mended = 0
    for (const entry of Object.values(coverage['source-map-cache'] ?? {})) {
      const content = entry.data?.sourcesContent
      if (content !== undefined && content.every((c) => c === null)) {
        delete entry.data!.sourcesContent
        mended++
      }
    }
    if (mended > 0) writeFileSync(path, JSON.stringify(coverage))
  }
  return files.length
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.(ts|mjs)$/.test(name) ? [path] : []
  })
}

if (mendSourceMaps(join(root, '.tap', 'coverage')) === 0) {
  process.stderr.write('No coverage in .tap/coverage: run the whole suite with `tap` first.\n')
  process.exit(1)
}
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
execFileSync(process.execPath, [tap, 'report', 'json-summary'], { stdio: 'ignore' })
const summaryFile = join(root, '.tap', 'report', 'coverage-summary.json')
const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, { lines: Counts }>

const folders = new Map<string, Counts>()
for (const [file, { lines }] of Object.entries(summary)) {
  if (file === 'total') continue
  const parts = relative(root, file).split(sep)
  if (parts[0] !== 'src') continue
  const folder = parts.length > 2 ? parts[1]! : '(src)'
  const f = folders.get(folder) ?? { total: 0, covered: 0 }
  f.total += lines.total
  f.covered += lines.covered
  folders.set(folder, f)
}

const pct = (c: Counts): number => c.total === 0 ? 100 : 100 * c.covered / c.total
const failures: string[] = []
const rows = [...folders.entries()].sort(([a], [b]) => a.localeCompare(b))
process.stdout.write('\nLine coverage by folder of src/ (the guarantees\' modules must be above ' + BAR + '%):\n')
for (const [folder, counts] of rows) {
  const guarded = GUARDED.includes(folder)
  const mark = guarded ? (pct(counts) > BAR ? '  ok' : '  BELOW ' + BAR + '%') : ''
  const lines = `${String(counts.covered).padStart(5)} of ${String(counts.total).padStart(5)} lines`
  process.stdout.write(`  ${folder.padEnd(14)} ${pct(counts).toFixed(1).padStart(5)}%  ${lines}${mark}\n`)
  if (guarded && pct(counts) <= BAR) failures.push(`src/${folder}: ${pct(counts).toFixed(1)}% of lines`)
}
for (const folder of GUARDED) {
  const loaded = new Set(Object.keys(summary).map((f) => relative(root, f)))
  for (const file of sourceFiles(join(root, 'src', folder))) {
    if (!loaded.has(relative(root, file))) failures.push(`${relative(root, file)} is loaded by no test`)
  }
}
if (failures.length > 0) {
  process.stderr.write('\nCoverage below the bar:\n' + failures.map((f) => '  ' + f + '\n').join(''))
  process.exit(1)
}
