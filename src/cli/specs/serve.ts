/** `shifou serve`, `shifou migrate` and `shifou demo`: the service and its database. */
import { defineCommand } from '../spec.ts'
import { SERVICE } from './environment.ts'

export const serve = defineCommand({
  path: ['serve'],
  summary: 'run the service (on PGlite unless DATABASE_URL is set)',
  usage: ['serve'],
  description: 'Applies pending migrations, then listens on HOST:PORT (127.0.0.1:8080 by default). Without ' +
    'DATABASE_URL it runs on the embedded database (PGlite) in SHIFOU_DATA_DIR, generates development secrets ' +
    'there with a warning, and on first start loads a demo (four departments, 3,000 synthetic people, a demo ' +
    'caller) and prints tokens and a curl line that works. With DATABASE_URL set, SHIFOU_MASTER_KEY, ' +
    'SHIFOU_CHECKPOINT_KEY and SHIFOU_JWT_SECRET (or SHIFOU_JWT_PUBLIC_KEYS) must be given: missing keys stop it.' +
    '\n\nSIGTERM or SIGINT (Ctrl-C) stops accepting requests, finishes those in flight and writes pending audit ' +
    'entries before it exits. Several processes may serve one PostgreSQL database (docs/operations.md).',
  options: {},
  examples: [
    { command: 'shifou serve', explains: 'a demo on http://127.0.0.1:8080 with the embedded database in ./.shifou' },
    { command: 'PORT=9090 SHIFOU_DATA_DIR=/tmp/shifou-demo shifou serve', explains: 'another port and data directory' },
    {
      command: 'DATABASE_URL=postgres://shifou@db.internal/shifou shifou serve',
      explains: 'production: PostgreSQL, with the keys in the environment or in a .env file beside it'
    }
  ],
  environment: SERVICE,
  exit: [[0, 'stopped by SIGTERM or SIGINT after finishing its work'], [1, 'it failed (the message says why)'],
    [2, 'bad usage'], [78, 'the configuration is invalid (the message names the variable)']],
  run: async () => { await (await import('../serve.ts')).serve(); return -1 }
})

export const migrate = defineCommand({
  path: ['migrate'],
  summary: 'apply pending database migrations',
  usage: ['migrate'],
  description: 'Applies the migrations the database has not had yet, in order, and names them; `shifou serve` ' +
    'does the same at start. Run it once before starting upgraded service processes on a shared database. It ' +
    'opens the database directly: PGlite holds its data directory alone, so stop an embedded service first.',
  options: {},
  examples: [
    { command: 'shifou migrate', explains: 'the embedded database in ./.shifou (its service stopped)' },
    {
      command: 'DATABASE_URL=postgres://shifou@db.internal/shifou shifou migrate',
      explains: 'a PostgreSQL database, before a rolling upgrade'
    }
  ],
  environment: SERVICE.filter((e) => !['HOST', 'PORT', 'LOG_LEVEL'].includes(e.name)),
  exit: [
    [0, 'the database is up to date'],
    [1, 'a migration failed: all of them run in one transaction, so none was applied'],
    [2, 'bad usage'],
    [78, 'the configuration is invalid']
  ],
  run: async () => await (await import('../migrate.ts')).migrateCommand()
})

export const demo = defineCommand({
  path: ['demo'],
  summary: 'load the demo into an empty database and print tokens',
  usage: ['demo'],
  description: 'Migrates the configured database and, if it holds no departments yet, loads the demo: four ' +
    'departments (real estate, tax, social insurance, household registration) with 3,000 synthetic people, the ' +
    'example questions and a demo caller. Then prints development tokens (valid 24 h) and curl lines for a ' +
    'service on HOST:PORT. `shifou serve` does this by itself on a fresh embedded database; use demo for a ' +
    'PostgreSQL database you mean to try things on. Stop an embedded service first.',
  options: {},
  examples: [
    {
      command: 'DATABASE_URL=postgres://postgres@127.0.0.1/shifou_demo shifou demo',
      explains: 'fill a scratch PostgreSQL database, then start shifou serve on it'
    },
    { command: 'SHIFOU_DATA_DIR=/tmp/shifou-demo shifou demo', explains: 'an embedded database in another directory' }
  ],
  environment: SERVICE.filter((e) => e.name !== 'LOG_LEVEL'),
  exit: [[0, 'loaded, or already loaded'], [1, 'it failed'], [2, 'bad usage'], [78, 'the configuration is invalid']],
  run: async () => { await (await import('../demo.ts')).demo(); return 0 }
})
