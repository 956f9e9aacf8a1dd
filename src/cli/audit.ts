/**
 * `shifou audit verify [--against FILE] [--key VKEY]`: recompute the audit log from the database
 * and check it against its signed checkpoints (src/audit/log-check.ts). Exit 0 on an untouched
 * log; 1 with the first bad index and what is wrong otherwise. The checkpoint key's public half
 * is all it needs: `--key` takes the published verifier key, so an auditor needs no secret.
 */
import { readFileSync } from 'node:fs'
import { loadConfig, loadDotEnv } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { parseVerifierKey, signerFromSeed, type CheckpointVerifier } from '../audit/checkpoint-note.ts'
import { verifyLog } from '../audit/log-check.ts'
import { parse, UsageError } from './args.ts'

export async function audit (argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'verify') throw new UsageError('usage: shifou audit verify [--against FILE] [--key VKEY]')
  const { values } = parse(rest, { against: { type: 'string' }, key: { type: 'string' } })
  loadDotEnv()
  const config = loadConfig()
  let verifier: CheckpointVerifier
  if (values.key !== undefined) {
    const parsed = parseVerifierKey(values.key)
    if (parsed === null) throw new UsageError('--key is not a signed-note verifier key (name+hex+base64)')
    verifier = parsed
  } else {
    const signer = signerFromSeed(config.auditOrigin, config.checkpointKey)
    verifier = { name: signer.name, publicKey: signer.publicKey }
  }
  const against = values.against === undefined ? undefined : readFileSync(values.against, 'utf8')
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, timeoutMs: config.dbTimeoutMs
  })
  const started = Date.now()
  try {
    const report = await verifyLog(database, {
      verifier,
      origin: config.auditOrigin,
      ...(against === undefined ? {} : { against }),
      onProgress: (n) => { if (process.stderr.isTTY) process.stderr.write(`\rchecked ${n} entries`) }
    })
    if (process.stderr.isTTY) process.stderr.write('\n')
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (report.ok) {
      process.stdout.write(`ok: ${report.size} entries and ${report.checkpoints} signed checkpoints verified in ${seconds} s${against === undefined ? '' : '; consistent with the checkpoint given'}\n`)
      return 0
    }
    const p = report.problem!
    process.stdout.write(`TAMPERED: first bad index ${p.index}${p.through === undefined ? '' : ` (somewhere in ${p.index}…${p.through})`}: ${p.reason}\n`)
    return 1
  } finally {
    await database.close()
  }
}
