/** A loader's worker thread (src/connectors/convert-workers.ts): converts the batches it is sent, in order. */
import { parentPort, workerData } from 'node:worker_threads'
import { converter, type ConvertSpec, type RowBatch } from './convert.ts'

const convert = converter(workerData as ConvertSpec)
parentPort!.on('message', (batch: RowBatch) => {
  const converted = convert(batch)
  parentPort!.postMessage(converted, [converted.tally.buffer as ArrayBuffer])
})
