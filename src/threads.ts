/**
 * Worker threads that run TypeScript modules. The service runs from its TypeScript sources through
 * tsx's loader (bin/shifou.js), and a worker thread does not inherit a loader that was registered
 * in code. A worker that registers tsx itself starts a loader thread of its own and has each of its
 * modules transformed on the way in: two such workers took 330–410 ms and 0.6–0.7 s of CPU to
 * become ready, and a large load starts two on a machine whose two cores it keeps busy.
 *
 * Instead, the worker's module and everything it imports are bundled into one plain JavaScript
 * module by esbuild (the compiler tsx itself uses), once per process and entry (about 30 ms, in
 * esbuild's own process), and each worker starts from that text: two workers ready in about 40 ms
 * and 70 ms of CPU (measured; bench/README.md). Everything the module imports is in the bundle,
 * packages too (a data: URL has no node_modules beside it); Node's own modules stay imports, and a
 * module a worker runs must not find files from its own URL (`import.meta.url` is the bundle's).
 *
 * The worker gets none of the parent's loader options (`--import`, `--loader`, `--require`): the
 * bundle needs no loader, and a parent started with `--import tsx` would otherwise have each worker
 * register tsx again. Other options are passed on.
 */
import { fileURLToPath } from 'node:url'
import { Worker, type WorkerOptions } from 'node:worker_threads'
import { build } from 'esbuild'

const bundles = new Map<string, Promise<URL>>()

/** The parent's Node options without the ones that load modules before the entry. */
export function workerExecArgv (argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const name = arg.split('=')[0]!
    if (!['--import', '--loader', '--experimental-loader', '--require', '-r'].includes(name)) {
      out.push(arg)
    } else if (!arg.includes('=')) {
      i++ // the option's value is the next argument
    }
  }
  return out
}

/** The bundle of `entry` as a data: URL a Worker starts from. */
async function bundle (entry: URL): Promise<URL> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent'
  })
  const code = Buffer.from(result.outputFiles[0]!.contents).toString('base64')
  return new URL('data:text/javascript;base64,' + code)
}

/** Starts a worker thread running the TypeScript module `entry`. */
export async function startWorker (entry: URL, options: WorkerOptions = {}): Promise<Worker> {
  let url = bundles.get(entry.href)
  if (url === undefined) {
    url = bundle(entry)
    bundles.set(entry.href, url)
    // A failed bundle is not kept: the next start tries again.
    url.catch(() => bundles.delete(entry.href))
  }
  return new Worker(await url, { ...options, execArgv: workerExecArgv() })
}
