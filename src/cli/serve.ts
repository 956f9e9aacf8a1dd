/**
 * `shifou serve`: migrate, load the demo on a fresh embedded database, and listen. SIGTERM and
 * SIGINT finish in-flight requests and flush pending audit entries before the process exits.
 */
import closeWithGrace from 'close-with-grace'
import { loadConfig, loadDotEnv } from '../config.ts'
import { openDatabase } from '../db/client.ts'
import { migrate } from '../db/migrate.ts'
import { Keyring } from '../keys/keyring.ts'
import { buildApp } from '../api/app.ts'
import { isDemoLoaded, loadDemo } from '../demo/demo.ts'
import { printDemoHelp } from './demo.ts'

export async function serve (): Promise<void> {
  loadDotEnv()
  const config = loadConfig()
  for (const path of config.generatedSecrets) {
    process.stderr.write(`warning: generated a development secret in ${path}; ` +
      'set SHIFOU_MASTER_KEY and SHIFOU_JWT_SECRET for anything but a demo\n')
  }
  const database = await openDatabase({
    url: config.databaseUrl, dataDir: config.dataDir, poolSize: config.poolSize, timeoutMs: config.dbTimeoutMs
  })
  await migrate(database)
  const keyring = new Keyring(config.masterKeys)

  let demo = false
  if (config.databaseUrl === null) {
    if (!await isDemoLoaded(database)) {
      process.stderr.write(
        'First start on the embedded database: loading the demo (4 departments, 3,000 synthetic people)…\n')
      await loadDemo(database, keyring, 3000, (step) => process.stderr.write(`  ${step}\n`))
    }
    demo = true
  }

  const app = await buildApp({ config, database, keyring, ownsDatabase: true })
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ errName: err.name }, 'closing after an error')
    else app.log.info({ signal }, 'closing: finishing requests and flushing the audit log')
    await app.close()
  })
  await app.listen({ host: config.host, port: config.port })
  // An IPv6 address goes in brackets in a URL.
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  if (demo) printDemoHelp(config, `http://${host}:${config.port}`)
}
