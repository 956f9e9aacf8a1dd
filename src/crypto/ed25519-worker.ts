/** The worker thread of src/crypto/ed25519-thread.ts: signs each batch it is sent, in order. */
import { sign, type KeyObject } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import type { SignBatch } from './ed25519-thread.ts'

const keys = new Map<string, KeyObject>()

parentPort!.on('message', (batch: SignBatch) => {
  for (const [id, key] of batch.keys) keys.set(id, key)
  const signatures = new Uint8Array(64 * batch.items.length)
  batch.items.forEach(([id, message], i) => { signatures.set(sign(null, message, keys.get(id)!), 64 * i) })
  parentPort!.postMessage(signatures, [signatures.buffer])
})
