/** `shifou receipt verify`: a receipt checked offline, or against a running service. */
import { defineCommand, type GroupSpec } from '../spec.ts'
import { SERVICE_URL, TOKEN } from './environment.ts'

export const receiptVerify = defineCommand({
  path: ['receipt', 'verify'],
  summary: 'check a receipt\'s signature, subject and audit entry',
  usage: [
    'receipt verify RECEIPT [--jwks FILE | --url URL]',
    'receipt verify RECEIPT [--jwks FILE | --url URL] --id-number N --nonce X',
    'receipt verify RECEIPT [--url URL] --proof [--token T] [--checkpoint-key VKEY]'
  ],
  description: 'Checks a receipt (a compact JWS, EdDSA): its structure, that its key is published, its signature ' +
    'and its claims, and prints what it states. The keys come from --jwks FILE (offline: nothing is sent ' +
    'anywhere), else from /.well-known/jwks.json of the service. With --id-number and --nonce (the nonce returned ' +
    'beside the receipt) it checks that the receipt is about that person. With --proof it fetches the receipt\'s ' +
    'audit entry, checks that it says what the receipt says, and checks its inclusion proof against the latest ' +
    'signed checkpoint; that needs a token that may read the entry: the caller\'s that asked, or an auditor\'s.' +
    '\n\nIt reads no database and needs no secret. The last line of standard output is VALID, INVALID: reason, or ' +
    'UNCHECKED: reason when the service could not be reached or would not give what the check needs.',
  arguments: [{ name: 'RECEIPT', description: 'the receipt, or - to read it from standard input' }],
  options: {
    jwks: {
      type: 'string',
      value: 'FILE',
      description: 'a JWK Set file (a saved /.well-known/jwks.json): check offline'
    },
    url: { type: 'string', value: 'URL', description: 'the service (default SHIFOU_URL, else http://127.0.0.1:$PORT)' },
    'id-number': {
      type: 'string',
      value: 'N',
      description: 'the subject\'s resident ID number, to check the receipt is about them (with --nonce)'
    },
    nonce: {
      type: 'string',
      value: 'X',
      description: 'the nonce that came with the receipt (with --id-number; write --nonce=X when X begins with -)'
    },
    proof: {
      type: 'boolean',
      description: 'also check the audit entry and its inclusion proof against the signed checkpoint'
    },
    token: {
      type: 'string',
      value: 'T',
      description: 'a token for --proof (default SHIFOU_TOKEN, else a caller token for the receipt\'s client ' +
        'minted from the JWT secret)'
    },
    'checkpoint-key': {
      type: 'string',
      value: 'VKEY',
      description: 'the checkpoint verifier key for --proof (default: GET /v1/audit/checkpoint-key)'
    }
  },
  examples: [
    {
      command: 'shifou receipt verify "$RECEIPT" --jwks jwks.json',
      explains: 'offline: signature, key and claims against a saved key set'
    },
    {
      command: 'shifou receipt verify "$RECEIPT" --id-number 11010519491231002X --nonce=wxrjBUaSNRLFHAODNVZ9ng',
      explains: 'also check that it is about this person, with the keys of the service on this machine'
    },
    {
      command: 'shifou receipt verify - --url https://shifou.example.gov.cn --proof --token "$T" < receipt.txt',
      explains: 'read it from standard input; check its audit entry and inclusion proof too'
    }
  ],
  environment: [...SERVICE_URL, ...TOKEN],
  exit: [[0, 'VALID: every check passed'], [1, 'INVALID: a check failed (the reason is printed)'], [2, 'bad usage'],
    [3, 'UNCHECKED: the service could not be reached or refused to give the keys, entry or proof']],
  run: async (argv) => await (await import('../receipt.ts')).receipt(['verify', ...argv])
})

export const receipt: GroupSpec = {
  name: 'receipt',
  summary: 'check receipts, the signed statements that come with every answer',
  description: 'Every answer carries a receipt: a JWS signed by the service that anyone can check against its ' +
    'published keys.',
  subcommands: [receiptVerify]
}
