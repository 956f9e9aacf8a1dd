/** `shifou audit verify`'s worker thread (entry-checker.ts): checks the pages it is sent, in order. */
import { parentPort } from 'node:worker_threads'
import { checkPage, type EntryRow } from './entry-check.ts'

parentPort!.on('message', ({ rows, first }: { rows: EntryRow[], first: number }) => {
  parentPort!.postMessage(checkPage(rows, first))
})
