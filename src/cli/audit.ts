/**
 * `shifou audit verify [--against FILE] [--key VKEY] [--witness VKEY_OR_URL …]`: recompute the
 * audit log from the database and check it against its signed checkpoints (src/audit/log-check.ts)
 * and against the latest checkpoint each witness cosigned (src/witness/evidence.ts). Exit 0 on an
 * untouched log; 1 with the first bad index and what is wrong, or why a witness could not be
 * checked. The checkpoint key's public half is all it needs: `--key` takes the published verifier
 * key, so an auditor needs no secret.
 */
import { readFileSync } from 'node:fs'
import { ConfigError, decodeSecret, loadConfig, loadDotEnv, loadLogLocation } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import type { CheckpointVerifier } from '../audit/checkpoint-note.ts'
import { ed25519SignerFromSeed, parseEd25519VerifierKey } from '../crypto/signed-note.ts'
import { verifyLog } from '../audit/log-check.ts'
import { type WitnessSpec, parseWitnessSpec, witnessedCheckpoints } from '../witness/evidence.ts'
import { parseCommand, UsageError } from './args.ts'
import { auditVerify } from './specs/audit.ts'

export async function audit (argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'verify') throw new UsageError('the only audit command is verify')
  const { values } = parseCommand(auditVerify, rest)
  const specs: WitnessSpec[] = (values.witness ?? []).map((w) => {
    const spec = parseWitnessSpec(w)
    if (spec === null) {
      throw new UsageError('--witness takes a witness\'s http(s) URL or its cosignature verifier key ' +
        '(`shifou witness public-key`)')
    }
    return spec
  })
  loadDotEnv()
  const config = loadLogLocation()
  let verifier: CheckpointVerifier
  if (values.key !== undefined) {
    const parsed = parseEd25519VerifierKey(values.key)
    if (parsed === null) {
      throw new UsageError('--key is not a signed-note verifier key (name+hex+base64, as ' +
        'GET /v1/audit/checkpoint-key gives it)')
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
    const signer = ed25519SignerFromSeed(config.auditOrigin, seed)
    verifier = { name: signer.name, publicKey: signer.publicKey }
  }
  const against = values.against === undefined ? undefined : readFileSync(values.against, 'utf8')
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, timeoutMs: config.dbTimeoutMs
  })
  const started = Date.now()
  try {
    const witnessed = specs.length === 0
      ? []
      : await witnessedCheckpoints({
          database,
          origin: config.auditOrigin,
          logKey: verifier,
          specs,
          ...(against === undefined ? {} : { against }),
          configured: config.witnesses
        })
    if ('error' in witnessed) {
      process.stdout.write(`UNVERIFIED: ${witnessed.error}\n`)
      return 1
    }
    const report = await verifyLog(database, {
      verifier,
      origin: config.auditOrigin,
      ...(against === undefined ? {} : { against }),
      witnessed,
      onProgress: (n) => { if (process.stderr.isTTY) process.stderr.write(`\rchecked ${n} entries`) }
    })
    if (process.stderr.isTTY) process.stderr.write('\n')
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (report.ok) {
      const extras = [
        ...(against === undefined ? [] : ['consistent with the checkpoint given']),
        ...witnessed.map((w) => `extends the checkpoint of size ${w.size} that ${w.by} cosigned (${w.checked})`)
      ]
      const summary = `ok: ${report.size} entries and ${report.checkpoints} signed checkpoints verified in ${seconds} s`
      process.stdout.write(summary + extras.map((e) => `; ${e}`).join('') + '\n')
      return 0
    }
    const p = report.problem!
    const span = p.through === undefined ? '' : ` (somewhere in ${p.index}…${p.through})`
    process.stdout.write(`TAMPERED: first bad index ${p.index}${span}: ${p.reason}\n`)
    return 1
  } finally {
    await database.close()
  }
}
