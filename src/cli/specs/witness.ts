/** `shifou witness` and `shifou witness public-key`: a C2SP tlog-witness for audit logs. */
import { defineCommand, type EnvironmentSpec } from '../spec.ts'

const WITNESS_DIR: EnvironmentSpec = {
  name: 'SHIFOU_WITNESS_DIR',
  description: 'the witness\'s key and state when --data-dir is not given (default ./.shifou-witness)'
}

export const witness = defineCommand({
  path: ['witness'],
  summary: 'run a witness that cosigns audit checkpoints',
  usage: [
    'witness --name NAME --log VKEY [--log VKEY …] [--logs FILE] [--data-dir DIR] [--host H] [--port 7380]',
    'witness public-key [--data-dir DIR]'
  ],
  description: 'Runs a witness: a small program, run by someone the service\'s database administrators cannot ' +
    'reach (another department, a court), that cosigns each checkpoint of a log only if it is signed by the ' +
    'log\'s key and extends the last one it cosigned, and serves the latest cosigned checkpoint. ' +
    '`shifou audit verify --witness` then fails on a log that was rolled back or rewritten. The first start ' +
    'makes the witness\'s Ed25519 key in its data directory; `shifou witness public-key` prints its verifier ' +
    'key for the service\'s SHIFOU_WITNESSES and for auditors. It runs until SIGTERM or SIGINT. ' +
    'docs/operations.md has the protocol and how to run one.',
  options: {
    name: {
      type: 'string',
      value: 'NAME',
      description: 'the witness\'s key name, such as witness.court.example/w1 (first start only; fixed with its key)'
    },
    log: {
      type: 'string',
      value: 'VKEY',
      multiple: true,
      description: 'a log to witness, by its checkpoint verifier key (GET /v1/audit/checkpoint-key); ' +
        'its origin is the key\'s name'
    },
    logs: { type: 'string', value: 'FILE', description: 'logs as JSON: [{"origin": "…", "verifierKey": "…"}]' },
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'the key and state (default SHIFOU_WITNESS_DIR, else ./.shifou-witness)'
    },
    host: { type: 'string', value: 'H', description: 'the address to listen on (default 127.0.0.1)' },
    port: { type: 'string', value: 'N', description: 'the port to listen on (default 7380; 0 for any free port)' }
  },
  examples: [
    {
      command: 'shifou witness --name witness.court.example/w1 --log "$(cat shifou-log.vkey)" --data-dir ' +
        '/var/lib/shifou-witness',
      explains: 'witness one shifou log, on 127.0.0.1:7380, behind a TLS reverse proxy'
    },
    {
      command: 'shifou witness --logs logs.json --host 0.0.0.0 --port 7380',
      explains: 'witness the logs listed in a file (after the first start, the name is already fixed)'
    }
  ],
  environment: [
    WITNESS_DIR,
    { name: 'SHIFOU_WITNESS_QUIET', description: '1: do not log each request on standard error' }
  ],
  exit: [
    [0, 'stopped by SIGTERM or SIGINT'],
    [1, 'it failed (the message says why: a taken port, a locked data directory)'],
    [2, 'bad usage']
  ],
  run: async (argv) => await (await import('../witness.ts')).witness(argv)
})

export const witnessPublicKey = defineCommand({
  path: ['witness', 'public-key'],
  summary: 'print a witness\'s cosignature verifier key',
  usage: ['witness public-key [--data-dir DIR]'],
  description: 'Prints the witness\'s cosignature/v1 verifier key (name+key ID+base64 key) from its data ' +
    'directory; the key is made by the witness\'s first start (shifou witness --name NAME …). Give it to the ' +
    'service\'s operator (SHIFOU_WITNESSES) and to auditors (shifou audit verify --witness).',
  options: {
    'data-dir': {
      type: 'string',
      value: 'DIR',
      description: 'the witness\'s key and state (default SHIFOU_WITNESS_DIR, else ./.shifou-witness)'
    }
  },
  examples: [
    {
      command: 'shifou witness public-key --data-dir /var/lib/shifou-witness',
      explains: 'the key of the witness in that directory'
    },
    {
      command: 'SHIFOU_WITNESS_DIR=/var/lib/shifou-witness shifou witness public-key > witness.vkey',
      explains: 'the same, saved to a file'
    }
  ],
  environment: [WITNESS_DIR],
  exit: [[0, 'printed'], [1, 'there is no key yet, or it could not be read'], [2, 'bad usage']],
  run: async (argv) => await (await import('../witness.ts')).witness(['public-key', ...argv])
})
