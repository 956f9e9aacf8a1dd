/**
 * `shifou audit verify`'s worker thread (entry-checker.ts): checks the pages it is sent, in order,
 * and ends when it is sent null, once it has answered every page before it.
 */
import { parentPort } from 'node:worker_threads'
import { checkPage, type EntryRow } from './entry-check.ts'

parentPort!.on('message', (page: { rows: EntryRow[], first: number } | null) => {
  if (page === null) {
    parentPort!.close()
    return
  }
  parentPort!.postMessage(checkPage(page.rows, page.first))
})
