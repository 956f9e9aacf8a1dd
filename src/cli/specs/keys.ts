/** `shifou keys rotate` and `shifou keys list`: the receipt signing keys. */
import { defineCommand, type GroupSpec } from '../spec.ts'
import { DATABASE, MASTER_KEY } from './environment.ts'

const DIRECT = 'It opens the database directly: running services on PostgreSQL pick the change up within a few ' +
  'seconds; an embedded (PGlite) service must be stopped first, since PGlite holds its data directory alone.'

export const keysRotate = defineCommand({
  path: ['keys', 'rotate'],
  summary: 'make a new receipt signing key (the old stays published), or a connector\'s next key version',
  usage: ['keys rotate [--actor NAME]', 'keys rotate --connector C [--actor NAME]'],
  description: 'Retires the current receipt signing key and makes a new current one (Ed25519), with an audit entry, ' +
    'in one transaction. Retired keys stay in /.well-known/jwks.json, so receipts signed with them keep verifying. ' +
    'The private key is stored encrypted under a key derived from the master key, so this needs ' +
    'SHIFOU_MASTER_KEY. With --connector C, rotates that connector\'s keys instead: its next load hashes ' +
    'under a new key version (derived from the newest master key version), and its active snapshot keeps ' +
    'answering under its own until then. ' + DIRECT,
  options: {
    connector: {
      type: 'string',
      value: 'C',
      description: 'rotate this connector\'s keys (the hashing of its records) instead of the receipt key'
    },
    actor: {
      type: 'string',
      value: 'NAME',
      description: 'who rotates, as written in the audit entry (default shifou-cli)'
    }
  },
  examples: [
    { command: 'shifou keys rotate --actor ops-wang', explains: 'rotate, recording who did it' },
    {
      command: 'shifou keys rotate --connector realestate',
      explains: 'a new key version for the realestate connector; then have the department load again'
    },
    {
      command: 'DATABASE_URL=postgres://shifou@db.internal/shifou shifou keys rotate',
      explains: 'rotate the keys of a PostgreSQL deployment (its services keep running)'
    }
  ],
  environment: [...DATABASE, ...MASTER_KEY],
  exit: [[0, 'rotated'], [1, 'it failed'], [2, 'bad usage'], [78, 'the configuration is invalid']],
  run: async (argv) => await (await import('../keys.ts')).keys(['rotate', ...argv])
})

export const keysList = defineCommand({
  path: ['keys', 'list'],
  summary: 'list the receipt signing keys, current and retired',
  usage: ['keys list'],
  description: 'Prints each receipt signing key\'s kid, status (current or retired), and when it was made and ' +
    'retired. ' + DIRECT,
  options: {},
  examples: [
    { command: 'shifou keys list', explains: 'the keys of the embedded database in ./.shifou' },
    {
      command: 'DATABASE_URL=postgres://shifou@db.internal/shifou shifou keys list',
      explains: 'the keys of a PostgreSQL deployment'
    }
  ],
  environment: [...DATABASE, ...MASTER_KEY],
  exit: [[0, 'listed'], [1, 'it failed'], [2, 'bad usage'], [78, 'the configuration is invalid']],
  run: async (argv) => await (await import('../keys.ts')).keys(['list', ...argv])
})

export const keysExport = defineCommand({
  path: ['keys', 'export'],
  summary: 'print a connector\'s key for its department agent',
  usage: ['keys export --connector C'],
  description: 'Prints the key a department agent needs to serve connector C (design: the live department agent): ' +
    'the connector\'s derived keys under the current master key version and its declared fields, never the ' +
    'master key. It is a secret: hand it to the department as you would a password, and give it to the agent ' +
    'as SHIFOU_AGENT_KEY. After a master key rotation, export it again and restart the agent. ' + DIRECT,
  options: {
    connector: { type: 'string', value: 'C', required: true, description: 'the connector (registered with kind agent)' }
  },
  examples: [
    { command: 'shifou keys export --connector marriage > marriage.agent-key', explains: 'the key, saved to a file' },
    {
      command: 'DATABASE_URL=postgres://shifou@db.internal/shifou shifou keys export --connector marriage',
      explains: 'the key of a connector of a PostgreSQL deployment'
    }
  ],
  environment: [...DATABASE, ...MASTER_KEY],
  exit: [
    [0, 'printed'], [1, 'no such connector, or it failed'], [2, 'bad usage'], [78, 'the configuration is invalid']
  ],
  run: async (argv) => await (await import('../keys.ts')).keys(['export', ...argv])
})

export const keys: GroupSpec = {
  name: 'keys',
  summary: 'receipt signing keys, and connector keys for department agents',
  description: 'Receipts are signed with an Ed25519 key kept encrypted in the database; rotating makes a new one ' +
    'and keeps the old one published for verification.',
  subcommands: [keysRotate, keysList, keysExport]
}
