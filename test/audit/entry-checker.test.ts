/**
 * Each entry's own checks (src/audit/entry-check.ts) give the same findings wherever they run: on
 * the calling thread, on a worker thread, or on the calling thread after a worker failed; and the
 * worker's own module answers pages in order over any message port.
 */
import t from 'tap'
import { testDatabase } from '../helpers/db.ts'
import { AuditWriter } from '../../src/audit/writer.ts'
import { readEntryRows } from '../../src/audit/log-check.ts'
import { checkPage } from '../../src/audit/entry-check.ts'
import { CHECK_HERE, EntryCheckWorker, orHere, type EntryChecker } from '../../src/audit/entry-checker.ts'
import { servePages } from '../../src/audit/entry-check-worker.ts'
import { MessageChannel } from 'node:worker_threads'
import { once } from 'node:events'

// Three pages of 50 rows as the verification reads them, one column changed in the second and one
// leaf hash in the third (in memory: the checks are what is tested, not the database).
const db = await testDatabase(t)
const writer = new AuditWriter(db)
await writer.append(Array.from({ length: 150 }, (_, i) => ({
  kind: 'answer' as const,
  actor: { sub: 'housing', role: 'caller' },
  caller: 'housing',
  question: 'property.none',
  purpose: 'housing-subsidy',
  caseId: 'A-' + i,
  answer: i % 2 === 0 ? 'yes' as const : 'no' as const,
  subject: 'ab'.repeat(32)
})))
await writer.close()
const pages = await Promise.all([0, 50, 100].map(async (from) => await readEntryRows(db, from, 50)))
pages[1]![17]!.answer = pages[1]![17]!.answer === 'yes' ? 'no' : 'yes'
pages[2]![3]!.leaf_hash = new Uint8Array(32)

const expected = [
  null,
  { position: 17, problem: { index: 67, reason: 'column answer differs from the entry bytes' } },
  { position: 3, problem: { index: 103, reason: 'the stored leaf hash does not match the entry bytes' } }
]

t.test('on this thread: the first failing entry of each page, with its index', async (t) => {
  t.same(pages.map((rows) => checkPage(rows, Number(rows[0]!.index))), expected)
  t.same(await CHECK_HERE.check(pages[1]!, 50), expected[1])
  t.equal(checkPage(pages[0]!, 1), null, 'a page that does not start where expected: left to the verifier (a gap)')
})

t.test('on a worker thread: the same findings, each page answered in turn', async (t) => {
  const worker = new EntryCheckWorker()
  t.teardown(async () => { await worker.close() })
  const answers = await Promise.all(pages.map(async (rows) => await worker.check(rows, Number(rows[0]!.index))))
  t.same(answers, expected)
})

t.test('a worker that stopped: its pages are refused, and orHere checks them here', async (t) => {
  const worker = new EntryCheckWorker()
  await worker.close()
  await t.rejects(worker.check(pages[1]!, 50), 'the stopped worker answers nothing')
  const failing: EntryChecker = { check: async () => { throw new Error('no worker') }, close: async () => {} }
  t.same(await orHere(worker).check(pages[1]!, 50), expected[1])
  t.same(await orHere(failing).check(pages[2]!, 100), expected[2])
})

t.test('the worker module over a message port: each page answered in order, and null closes it', async (t) => {
  const { port1, port2 } = new MessageChannel()
  servePages(port1)
  const answers: unknown[] = []
  port2.on('message', (p: unknown) => { answers.push(p) })
  for (const rows of pages) port2.postMessage({ rows, first: Number(rows[0]!.index) })
  const closed = once(port2, 'close')
  port2.postMessage(null)
  await closed
  t.same(answers, expected, 'the answers of the pages sent before null')
})
