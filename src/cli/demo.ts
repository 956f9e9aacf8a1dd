/** `shifou demo`: load the demo into the configured database and print tokens and a curl line. */
import { loadConfig, loadDotEnv, type Config } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'
import { Keyring } from '../keys/keyring.ts'
import { DEMO_CLIENT, DEMO_PURPOSE, isDemoLoaded, loadDemo } from '../demo/demo.ts'
import { makePeople } from '../demo/population.ts'
import { mintToken } from '../tokens.ts'

export function printDemoHelp (config: Config, url: string): void {
  if (config.jwtSecret.length === 0) return
  const ttl = 24 * 3600
  const caller = mintToken(config.jwtSecret, config.issuer, { sub: DEMO_CLIENT, role: 'caller' }, ttl)
  const admin = mintToken(config.jwtSecret, config.issuer, { sub: 'demo-admin', role: 'admin' }, ttl)
  const auditor = mintToken(config.jwtSecret, config.issuer, { sub: 'demo-auditor', role: 'auditor' }, ttl)
  // The demo's first synthetic person (the population is deterministic).
  const person = makePeople(1, 2026)[0]!
  const citizen = mintToken(config.jwtSecret, config.issuer, {
    sub: 'demo-citizen', role: 'subject', idNumber: person.idNumber
  }, ttl)
  const body = JSON.stringify({
    subject: { idNumber: person.idNumber, name: person.name },
    questions: [
      { id: 'identity.name_matches' },
      { id: 'property.none' },
      { id: 'tax.paid_in_year', params: { year: 2025 } }
    ],
    purpose: DEMO_PURPOSE,
    caseId: 'HS-2026-0001'
  })
  const ask = `curl -s -X POST ${url}/v1/verifications -H 'authorization: Bearer ${caller}' ` +
    `-H 'content-type: application/json' -d '${body}'`
  process.stdout.write([
    '',
    `shifou is listening on ${url} (API docs: ${url}/docs)`,
    '',
    'Development tokens (valid 24 h):',
    `  caller  (${DEMO_CLIENT}): ${caller}`,
    `  admin:   ${admin}`,
    `  auditor: ${auditor}`,
    '',
    'Ask a question about a synthetic person:',
    `  ${ask}`,
    '',
    'Then see it in the audit log:',
    `  curl -s '${url}/v1/audit/entries?kind=answer' -H 'authorization: Bearer ${auditor}'`,
    '',
    'Check an answer\'s receipt offline (paste its "receipt"), and see who asked about that person:',
    `  npx shifou receipt verify RECEIPT --url ${url}`,
    `  curl -s '${url}/v1/me/access-log' -H 'authorization: Bearer ${citizen}'`,
    '',
    'More tokens: npx shifou token --role caller --sub demo-housing',
    ''
  ].join('\n') + '\n')
}

export async function demo (): Promise<void> {
  loadDotEnv()
  const config = loadConfig()
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: 2, timeoutMs: config.dbTimeoutMs
  })
  try {
    await migrate(database)
    if (await isDemoLoaded(database)) {
      process.stderr.write('The database already holds departments; the demo is loaded only into an empty one.\n')
    } else {
      await loadDemo(database, new Keyring(config.masterKeys), 3000, (step) => process.stderr.write(`  ${step}\n`))
    }
  } finally {
    await database.close()
  }
  printDemoHelp(config, `http://${config.host}:${config.port}`)
}
