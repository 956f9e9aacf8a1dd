/**
 * Worker threads from TypeScript modules (src/threads.ts): the module and what it imports run in the
 * worker as one bundle, without a loader and without the parent's loader options, and a module that
 * cannot be bundled fails the start without being remembered.
 */
import t from 'tap'
import { once } from 'node:events'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startWorker, workerExecArgv } from '../src/threads.ts'

const ECHO = new URL('./fixtures/threads/echo-worker.ts', import.meta.url)

t.test('the loader options are left out, the others kept', async (t) => {
  t.same(workerExecArgv(['--import', 'tsx', '--enable-source-maps', '--import=x', '-r', 'y', '--max-semi-space-size=8',
    '--loader', 'l', '--experimental-loader=m', '--require=z', '--cpu-prof']),
  ['--enable-source-maps', '--max-semi-space-size=8', '--cpu-prof'])
  t.same(workerExecArgv([]), [])
})

t.test('a TypeScript worker runs with its imports and no loader', async (t) => {
  // The tests run with --import=tsx: the worker must not have it.
  t.ok(process.execArgv.some((a) => a.includes('tsx')), 'this process was started with a loader')
  for (const text of ['one', 'two']) {
    const worker = await startWorker(ECHO, { workerData: text })
    const [reply] = await once(worker, 'message') as [{ mac: string, execArgv: string[] }]
    const expected = createHmac('sha256', Buffer.alloc(32, 7)).update(text).digest('hex')
    t.equal(reply.mac, expected, `${text}: computed in the worker`)
    t.notOk(reply.execArgv.some((a) => a.includes('tsx')), `${text}: no loader in the worker`)
    await worker.terminate()
  }
})

t.test('a module that cannot be bundled fails the start and is not remembered', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'shifou-threads-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const entry = pathToFileURL(join(dir, 'late-worker.ts'))
  await t.rejects(startWorker(entry), 'the start fails while the module is not there')
  writeFileSync(entry, "import { parentPort } from 'node:worker_threads'\nparentPort!.postMessage(6 * 7 as number)\n")
  const worker = await startWorker(entry)
  const [reply] = await once(worker, 'message') as [number]
  t.equal(reply, 42, 'once it is there, the next start bundles it and runs')
  await worker.terminate()
})
