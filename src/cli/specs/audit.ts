/** `shifou audit verify`: the audit log recomputed from the database. */
import { defineCommand, type GroupSpec } from '../spec.ts'
import { CHECKPOINT, DATABASE } from './environment.ts'

export const auditVerify = defineCommand({
  path: ['audit', 'verify'],
  summary: 'recompute the audit log and check every signed checkpoint',
  usage: ['audit verify [--against FILE] [--key VKEY] [--witness URL_OR_VKEY …]'],
  description: 'Reads every audit entry from the database in order and checks that the indices are dense, each ' +
    'entry\'s bytes are canonical and name their own index, the stored leaf hashes, filter columns and tree nodes ' +
    'match the entries, and every stored checkpoint is validly signed with a root that matches the recomputed ' +
    'tree. With --against, a checkpoint kept outside the database must match too: only that catches a rewrite by ' +
    'someone who also holds the checkpoint key. With --witness, the log must also extend the latest checkpoint ' +
    'each witness cosigned: that catches a truncation or rewrite whose author also deleted the later ' +
    'checkpoints. It names the first bad index and what is wrong with it.' +
    '\n\nIt opens the database directly (stop an embedded service first) and changes nothing. With --key it needs no ' +
    'secret at all: the published verifier key (GET /v1/audit/checkpoint-key) is enough; without it, the ' +
    'checkpoint key is SHIFOU_CHECKPOINT_KEY (or the embedded database\'s generated one).',
  options: {
    against: {
      type: 'string',
      value: 'FILE',
      description: 'a checkpoint note kept elsewhere (from GET /v1/audit/checkpoint) that the log must match'
    },
    key: {
      type: 'string',
      value: 'VKEY',
      description: 'the signed-note verifier key of the checkpoints (default: derived from SHIFOU_CHECKPOINT_KEY)'
    },
    witness: {
      type: 'string',
      value: 'URL_OR_VKEY',
      multiple: true,
      description: 'a witness: its URL (its latest cosigned checkpoint is fetched from it) or its cosignature ' +
        'verifier key (its cosignatures stored in the database, and in the --against note, are used)'
    }
  },
  examples: [
    { command: 'shifou audit verify', explains: 'check the embedded database in ./.shifou (its service stopped)' },
    {
      command: 'DATABASE_URL=postgres://auditor@db.internal/shifou shifou audit verify --key "$(cat vkey.txt)" ' +
        '--against kept-checkpoint.txt',
      explains: 'an auditor\'s check, with the published key and a checkpoint kept outside the database'
    },
    {
      command: 'shifou audit verify --witness https://witness.court.example --witness "$(cat witness.vkey)"',
      explains: 'the log must extend what the court\'s witness cosigned, its cosignature checked with its key'
    }
  ],
  environment: [
    ...DATABASE,
    ...CHECKPOINT,
    { name: 'SHIFOU_WITNESSES', description: 'the service\'s witnesses file: the keys of witnesses given by URL' }
  ],
  exit: [
    [0, 'the log is intact'],
    [1, 'the log was tampered with (the first bad index is named), it could not be read, or a witness could ' +
    'not be checked (UNVERIFIED)'],
    [2, 'bad usage'],
    [78, 'the configuration is invalid']
  ],
  run: async (argv) => await (await import('../audit.ts')).audit(['verify', ...argv])
})

export const audit: GroupSpec = {
  name: 'audit',
  summary: 'check the tamper-evident audit log',
  description: 'The audit log is a Merkle tree (RFC 9162) with signed checkpoints; `shifou audit verify` recomputes ' +
    'it from the database.',
  subcommands: [auditVerify]
}
