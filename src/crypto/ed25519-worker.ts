/**
 * The worker thread of src/crypto/ed25519-thread.ts: signs each batch it is sent, in order, at a
 * lower priority than the thread that answers requests (see there).
 */
import { sign, type KeyObject } from 'node:crypto'
import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import type { SignBatch } from './ed25519-thread.ts'

/** This thread's nice value (Linux: 0 is the default, 19 the lowest priority). */
export const SIGNER_NICENESS = 10

// Linux keeps a nice value per thread: there this lowers this thread's priority alone (elsewhere it
// would lower the whole process's, so the worker signs at the process's priority there).
if (process.platform === 'linux') {
  try {
    setPriority(SIGNER_NICENESS)
  } catch {}
}

const keys = new Map<string, KeyObject>()

parentPort!.on('message', (batch: SignBatch) => {
  for (const [id, key] of batch.keys) keys.set(id, key)
  const signatures = new Uint8Array(64 * batch.items.length)
  batch.items.forEach(([id, message], i) => { signatures.set(sign(null, message, keys.get(id)!), 64 * i) })
  parentPort!.postMessage(signatures, [signatures.buffer])
})
