/** `shifou agent`, `shifou agent public-key`, `shifou agent log`: the live department agent (design §14.3). */
import { defineCommand, type EnvironmentSpec } from '../spec.ts'

const AGENT_DIR: EnvironmentSpec = {
  name: 'SHIFOU_DATA_DIR',
  description: 'the agent\'s key, its embedded database and log when --data-dir is not given (default ./.shifou-agent)'
}
const AGENT_DATABASE: EnvironmentSpec = {
  name: 'DATABASE_URL',
  description: 'a PostgreSQL database of the department for the agent\'s index and log (default: embedded, in ' +
    'the data directory)'
}
const DATA_DIR_OPTION = {
  type: 'string' as const,
  value: 'DIR',
  description: 'the agent\'s key, database and log (default SHIFOU_DATA_DIR, else ./.shifou-agent)'
}

export const agent = defineCommand({
  path: ['agent'],
  summary: 'run a department agent: the data stays in the department',
  usage: [
    'agent --connector C (--data FILE | --source-url URL --query Q) --hub-key KEY [--format csv|ndjson]',
    '      [--encoding utf-8|gb18030]',
    '      [--as-of YYYY-MM-DD] [--reload-minutes N] [--host H] [--port 7390] [--data-dir DIR]',
    'agent public-key [--data-dir DIR]',
    'agent log [--from N] [--limit N] [--data-dir DIR]'
  ],
  description: 'Runs at the department, next to its data, for a connector the hub registered with kind "agent": ' +
    'it loads FILE (or the result of --query on its database) with the same rules as shifou load (columns, ' +
    'encodings, dates, rejected rows, people behind rejected rows) into its own keyed index, and answers the ' +
    'hub\'s lookups by keyed hash with the declared fields of that one person only. The hub never holds a ' +
    'row of this data. Every request must be signed by ' +
    'the hub (RFC 9421, Ed25519, --hub-key from the hub\'s GET /v1/agent-key), and every answer is signed by ' +
    'the agent and written to the agent\'s own append-only log first (shifou agent log), so the department can ' +
    'audit the hub.' +
    '\n\nThe connector\'s key comes from SHIFOU_AGENT_KEY (printed on the hub by shifou keys export --connector ' +
    'C); the agent never holds the master key. SIGHUP, or --reload-minutes, reloads FILE: the previous data ' +
    'answers until the new load is complete. docs/agent.md has the setup step by step.',
  options: {
    connector: { type: 'string', value: 'C', required: true, description: 'the connector this agent serves' },
    data: { type: 'string', value: 'FILE', description: 'the department\'s file: CSV or NDJSON' },
    'source-url': {
      type: 'string',
      value: 'URL',
      description: 'instead of --data, the department\'s database: postgres://… (PostgreSQL, openGauss, ' +
        'KingbaseES, PolarDB) or mysql://… (MySQL, MariaDB, TiDB, OceanBase)'
    },
    query: { type: 'string', value: 'Q', description: 'with --source-url: one SELECT, or select * from a view' },
    'hub-key': {
      type: 'string',
      value: 'KEY',
      required: true,
      description: 'the hub\'s public key (base64url), from GET /v1/agent-key on the hub'
    },
    format: { type: 'string', value: 'csv|ndjson', description: 'the file\'s format (default by its extension)' },
    encoding: { type: 'string', value: 'utf-8|gb18030', description: 'the file\'s encoding (default utf-8)' },
    'as-of': { type: 'string', value: 'YYYY-MM-DD', description: 'the date the data describes (default today)' },
    'reload-minutes': {
      type: 'string', value: 'N', description: 'reload the file every N minutes (default: on SIGHUP)'
    },
    host: { type: 'string', value: 'H', description: 'the address to listen on (default 127.0.0.1)' },
    port: { type: 'string', value: 'N', description: 'the port to listen on (default 7390; 0 for any free port)' },
    'data-dir': DATA_DIR_OPTION
  },
  examples: [
    {
      command: 'SHIFOU_AGENT_KEY=$(cat marriage.agent-key) shifou agent --connector marriage --data 婚姻登记.csv ' +
        '--encoding gb18030 --hub-key "$(curl -s https://shifou.example.gov.cn/v1/agent-key | jq -r .publicKey)"',
      explains: 'serve the marriage registry\'s export to the hub, on 127.0.0.1:7390 behind the department\'s TLS proxy'
    },
    {
      command: 'DATABASE_URL=postgres://agent@127.0.0.1/agent shifou agent --connector tax --data tax.csv ' +
        '--hub-key "$HUB_KEY" --reload-minutes 60',
      explains: 'keep the index in the department\'s PostgreSQL and reload the file every hour'
    },
    {
      command: 'shifou agent --connector tax --source-url "$DEPT_DB" --query \'select * from tax_view\' ' +
        '--hub-key "$HUB_KEY" --reload-minutes 1440',
      explains: 'read the department\'s own database view (never copied to the hub), again each day'
    }
  ],
  environment: [
    { name: 'SHIFOU_AGENT_KEY', description: 'the connector\'s key, from shifou keys export --connector C (secret)' },
    AGENT_DIR,
    AGENT_DATABASE
  ],
  exit: [[0, 'stopped by SIGTERM or SIGINT'], [1, 'it failed (the message says why)'], [2, 'bad usage']],
  run: async (argv) => await (await import('../agent.ts')).agent(argv)
})

export const agentPublicKey = defineCommand({
  path: ['agent', 'public-key'],
  summary: 'print the agent\'s public key, for registering its connector on the hub',
  usage: ['agent public-key [--data-dir DIR]'],
  description: 'Prints the agent\'s Ed25519 public key (base64url of its 32 bytes), making the key pair in the ' +
    'data directory on first use. The hub\'s admin registers the connector with it (agent.publicKey).',
  options: { 'data-dir': DATA_DIR_OPTION },
  examples: [
    { command: 'shifou agent public-key --data-dir /var/lib/shifou-agent', explains: 'the key to register' },
    {
      command: 'SHIFOU_DATA_DIR=/var/lib/shifou-agent shifou agent public-key > agent.pub',
      explains: 'the same, saved to a file'
    }
  ],
  environment: [AGENT_DIR],
  exit: [[0, 'printed'], [1, 'the key could not be made or read'], [2, 'bad usage']],
  run: async (argv) => await (await import('../agent.ts')).agent(['public-key', ...argv])
})

export const agentLog = defineCommand({
  path: ['agent', 'log'],
  summary: 'print the lookups the agent answered, as NDJSON',
  usage: ['agent log [--from N] [--limit N] [--data-dir DIR]'],
  description: 'Prints the agent\'s own log, oldest first, one JSON entry a line: each lookup the hub made ' +
    '(the verification, caller and purpose the hub gave, the subject\'s keyed hash, whether a record was found) ' +
    'and each load. The department compares it with the hub\'s audit log. Stop the agent first when its ' +
    'database is the embedded one (PGlite holds its data directory alone).',
  options: {
    from: { type: 'string', value: 'N', description: 'the first entry\'s index (default 0)' },
    limit: { type: 'string', value: 'N', description: 'at most N entries (default 1000)' },
    'data-dir': DATA_DIR_OPTION
  },
  examples: [
    { command: 'shifou agent log --from 1000 | jq -c \'select(.kind == "lookup")\'', explains: 'lookups from 1000' },
    { command: 'shifou agent log --data-dir /var/lib/shifou-agent --limit 50', explains: 'the first 50 entries' }
  ],
  environment: [AGENT_DIR, AGENT_DATABASE, { name: 'SHIFOU_AGENT_KEY', description: 'the connector\'s key' }],
  exit: [[0, 'printed'], [1, 'the log could not be read'], [2, 'bad usage']],
  run: async (argv) => await (await import('../agent.ts')).agent(['log', ...argv])
})
