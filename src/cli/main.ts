/**
 * The `shifou` command (design §5 "CLI"). It reads the same environment as the server. Each
 * command's module is imported when it runs: `shifou load` need not load the server, the
 * database drivers and the embedded PostgreSQL (0.9 s of start-up before it sent a byte).
 */
import { loadConfig, loadDotEnv, ConfigError } from '../config.ts'
import { UsageError } from './args.ts'

const HELP = `shifou — privacy-preserving yes/no verification

Usage: shifou <command> [options]

  serve                               run the service (embedded PGlite unless DATABASE_URL is set;
                                      a fresh embedded database gets the demo)
  migrate                             apply database migrations
  demo                                load the demo into an empty database and print tokens
  token --role R --sub S [--dept D] [--id-number N] [--ttl 1h]
                                      a development token signed with SHIFOU_JWT_SECRET
  load --connector C --as-of YYYY-MM-DD [--url U] [--token T] [--format csv|ndjson]
       [--encoding utf-8|gb18030] [--report REJECTS.csv] FILE
                                      stream a snapshot to a running service, with a progress bar;
                                      --encoding gb18030 (or gbk, gb2312) for files saved by Excel on
                                      Chinese Windows; --report writes every rejected row and why
  audit verify [--against FILE] [--key VKEY] [--witness VKEY_OR_URL …]
                                      recompute the audit log and check every signed checkpoint
                                      (and one kept elsewhere, and the latest a witness cosigned);
                                      exit 1 naming the first bad index
  witness --name NAME --log VKEY [--data-dir DIR] [--port 7380] | witness public-key
                                      run a C2SP tlog-witness for audit logs; print its verifier key
  keys rotate [--actor NAME] | keys list
                                      make a new current receipt signing key (the old one stays
                                      published); list the keys
  receipt verify RECEIPT [--jwks FILE] [--url U] [--id-number N --nonce X] [--proof] [--token T]
                                      check a receipt's signature offline (and its subject
                                      commitment, and its audit inclusion proof); exit 1 if invalid

Environment: DATABASE_URL, SHIFOU_DATA_DIR (./.shifou), HOST (127.0.0.1), PORT (8080),
SHIFOU_MASTER_KEY, SHIFOU_JWT_SECRET, SHIFOU_JWT_PUBLIC_KEYS, SHIFOU_JWT_ISSUER (shifou),
SHIFOU_CHECKPOINT_KEY, SHIFOU_AUDIT_ORIGIN, SHIFOU_CHECKPOINT_ENTRIES (1000), SHIFOU_CHECKPOINT_SECONDS (10),
SHIFOU_RECEIPT_ISSUER (the audit origin), SHIFOU_CONSENT_ISSUERS (a JSON file of consent issuers),
SHIFOU_WITNESSES (a JSON file of witnesses to send checkpoints to),
LOG_LEVEL (info). A .env file in the working directory is read. See README.md.
`

async function migrateCommand (): Promise<void> {
  loadDotEnv()
  const config = loadConfig()
  const { openDatabase } = await import('../db/client.ts')
  const { migrate } = await import('../db/migrate.ts')
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: 1, timeoutMs: config.dbTimeoutMs
  })
  try {
    const applied = await migrate(database)
    process.stdout.write(applied.length === 0 ? 'the database is up to date\n' : `applied: ${applied.join(', ')}\n`)
  } finally {
    await database.close()
  }
}

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve': await (await import('./serve.ts')).serve(); return -1
    case 'migrate': await migrateCommand(); return 0
    case 'demo': await (await import('./demo.ts')).demo(); return 0
    case 'token': (await import('./token.ts')).token(rest); return 0
    case 'load': return await (await import('./load.ts')).load(rest)
    case 'audit': return await (await import('./audit.ts')).audit(rest)
    case 'keys': return await (await import('./keys.ts')).keys(rest)
    case 'receipt': return await (await import('./receipt.ts')).receipt(rest)
    case 'witness': return await (await import('./witness.ts')).witness(rest)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP)
      return 0
    default:
      throw new UsageError(`unknown command: ${command}`)
  }
}

try {
  const code = await main(process.argv.slice(2))
  if (code >= 0) process.exitCode = code
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`shifou: ${err.message}\n\n${HELP}`)
    process.exitCode = 2
  } else if (err instanceof ConfigError) {
    process.stderr.write(`shifou: configuration: ${err.message}\n`)
    process.exitCode = 78
  } else {
    process.stderr.write(`shifou: ${(err as Error).message}\n`)
    process.exitCode = 1
  }
}
