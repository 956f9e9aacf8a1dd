/**
 * `shifou audit verify [--against FILE] [--key VKEY]`: recompute the audit log from the database
 * and check it against its signed checkpoints (src/audit/log-check.ts). Exit 0 on an untouched
 * log; 1 with the first bad index and what is wrong otherwise. The checkpoint key's public half
 * is all it needs: `--key` takes the published verifier key, so an auditor needs no secret.
 */
import { readFileSync } from 'node:fs'
import { ConfigError, decodeSecret, loadConfig, loadDotEnv, loadLogLocation } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { parseVerifierKey, signerFromSeed, type CheckpointVerifier } from '../audit/checkpoint-note.ts'
import { verifyLog } from '../audit/log-check.ts'
import { parseCommand, UsageError } from './args.ts'
import { auditVerify as spec } from './specs/audit.ts'

export async function audit (argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'verify') throw new UsageError('the only audit command is verify')
  const { values } = parseCommand(spec, rest)
  loadDotEnv()
  let verifier: CheckpointVerifier
  const config = loadLogLocation()
  if (values.key !== undefined) {
    const parsed = parseVerifierKey(values.key)
    if (parsed === null) {
      throw new UsageError('--key is not a signed-note verifier key (name+hex+base64, as GET /v1/audit/checkpoint-key gives it)')
    }
    verifier = parsed
  } else {
    // The checkpoint key alone; the embedded default keeps it in its data directory.
    const text = process.env.SHIFOU_CHECKPOINT_KEY
    if (config.databaseUrl !== null && (text === undefined || text === '')) {
      throw new ConfigError('SHIFOU_CHECKPOINT_KEY is not set: give it, or the published verifier key with --key VKEY')
    }
    const seed = config.databaseUrl !== null ? decodeSecret('SHIFOU_CHECKPOINT_KEY', text!) : loadConfig().checkpointKey
    if (seed.length !== 32) throw new ConfigError('SHIFOU_CHECKPOINT_KEY must be exactly 32 bytes (an Ed25519 seed)')
    const signer = signerFromSeed(config.auditOrigin, seed)
    verifier = { name: signer.name, publicKey: signer.publicKey }
  }
  const against = values.against === undefined ? undefined : readFileSync(values.against, 'utf8')
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 })
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
