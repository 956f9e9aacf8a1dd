/**
 * `shifou keys rotate [--actor NAME]` and `shifou keys list`: the receipt signing keys (design §9);
 * `shifou keys rotate --connector C`: a connector's next key version (design §14.2).
 * Rotation retires the current key (it stays published, so its receipts keep verifying) and makes
 * a new current one, with its audit entry, in one transaction. Like `shifou audit verify`, it
 * opens the database directly: running services pick the new key up within a few seconds; an
 * embedded (PGlite) service must be stopped first, since PGlite holds its data directory alone.
 */
import { loadConfig, loadDotEnv } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { Keyring } from '../keys/keyring.ts'
import { WRAP_KEY_INFO, listSigningKeys, rotateSigningKey } from '../receipts/keys.ts'
import { rotateConnectorKey } from '../connectors/keys.ts'
import { parseCommand, UsageError } from './args.ts'
import { keysExport, keysList, keysRotate } from './specs/keys.ts'
import { exportAgentKey } from '../agent/key.ts'

interface ExportedRow {
  id: string
  subject_field: string
  subject_column: string | null
  fields: Array<{ name: string, type: string, column?: string }>
  max_reject_ratio: number
  max_records_per_subject: number
}

export async function keys (
  argv: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')
): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'rotate' && sub !== 'list' && sub !== 'export') throw new UsageError('give rotate, list or export')
  if (sub === 'list') parseCommand(keysList, rest)
  const exported = sub === 'export' ? parseCommand(keysExport, rest).values.connector! : null
  const values = sub === 'rotate' ? parseCommand(keysRotate, rest).values : {}
  const actor = values.actor ?? 'shifou-cli'
  const connector = values.connector
  if (connector !== undefined && !/^[a-z0-9][a-z0-9_.-]{0,63}$/.test(connector)) {
    throw new UsageError('--connector must be a connector id (lower-case letters, digits, _ . -)')
  }
  if (!/^[\x21-\x7E]{1,128}$/.test(actor)) {
    throw new UsageError('--actor must be 1–128 printable ASCII characters without spaces')
  }
  loadDotEnv()
  const config = loadConfig()
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, timeoutMs: config.dbTimeoutMs
  })
  try {
    if (exported !== null) {
      const [c] = await database.query<ExportedRow>(
        `select id, subject_field, subject_column, fields, max_reject_ratio, max_records_per_subject
          from connectors where id = $1`, [exported])
      if (c === undefined) {
        process.stderr.write(`there is no connector ${exported}\n`)
        return 1
      }
      out(exportAgentKey(new Keyring(config.masterKeys), {
        id: c.id, subjectField: c.subject_field, subjectColumn: c.subject_column, fields: c.fields,
        maxRejectRatio: Number(c.max_reject_ratio), maxRecordsPerSubject: Number(c.max_records_per_subject)
      }))
      return 0
    }
    if (sub === 'list') {
      for (const k of await listSigningKeys(database)) {
        const retired = k.retiredAt === null ? '' : `  retired ${k.retiredAt}`
        out(`${k.kid}  ${k.status.padEnd(7)}  created ${k.createdAt}${retired}`)
      }
      return 0
    }
    if (connector !== undefined) {
      const rotated = await rotateConnectorKey(database, new Keyring(config.masterKeys), { sub: actor, role: 'admin' },
        connector)
      out(`connector ${rotated.connector}: key version ${rotated.keyVersion}`)
      out('its next load hashes under it; its active snapshot answers under its own version until then')
      return 0
    }
    const wrapKey = new Keyring(config.masterKeys).derive(WRAP_KEY_INFO)
    const { kid, retired } = await rotateSigningKey(database, wrapKey, { sub: actor, role: 'admin' })
    out(`new current receipt key: ${kid}`)
    if (retired.length > 0) out(`retired (still published for verification): ${retired.join(', ')}`)
    out('running services sign with the new key within a few seconds')
    return 0
  } finally {
    await database.close()
  }
}
