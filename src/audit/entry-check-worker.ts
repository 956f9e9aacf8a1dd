/**
 * `shifou audit verify`'s worker thread (entry-checker.ts): checks the pages it is sent, in order,
 * and ends when it is sent null, once it has answered every page before it.
 */
import { parentPort, type MessagePort } from 'node:worker_threads'
import { checkPage, type EntryRow } from './entry-check.ts'

/** Answers each page sent on `port` with its first problem (or null), in order; null closes the port. */
export function servePages (port: MessagePort): void {
  port.on('message', (page: { rows: EntryRow[], first: number } | null) => {
    if (page === null) {
      port.close()
      return
    }
    port.postMessage(checkPage(page.rows, page.first))
  })
}

// On a worker thread (loaded in a test, it only exports servePages).
if (parentPort !== null) servePages(parentPort)
