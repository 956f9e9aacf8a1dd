/**
 * `shifou receipt verify RECEIPT [--jwks FILE] [--url URL] [--id-number N --nonce X] [--proof]
 *  [--token T] [--checkpoint-key VKEY]` (specs/receipt.ts): checks a receipt (design §9) —
 * structure, key, signature and claims — offline against a JWK Set file, or against
 * /.well-known/jwks.json of the service. With the ID number and the nonce, checks the subject
 * commitment; with --proof, fetches the receipt's audit entry, checks it says what the receipt
 * says, and checks its inclusion proof against the latest signed checkpoint. Exit 0 when every
 * check passes, 1 when one fails, 2 on bad usage, 3 when a check could not be made (the service
 * unreachable, or refusing the token): that is not a verdict on the receipt. RECEIPT may be `-`
 * to read it from standard input.
 *
 * It reads no database and makes no secret: the service's URL, SHIFOU_TOKEN and (to mint a caller
 * token for --proof) the JWT secret come from the environment.
 */
import { readFileSync } from 'node:fs'
import { loadDotEnv } from '../config.ts'
import { normaliseIdNumber, todayCst } from '../matchers/cn-resident-id.ts'
import { receiptKeys } from '../receipts/jwk.ts'
import { receiptEntryMismatches, verifyReceipt, type ReceiptClaims } from '../receipts/receipt.ts'
import { checkCommitment } from '../receipts/commitment.ts'
import { openCheckpoint } from '../audit/checkpoint-note.ts'
import { parseEd25519VerifierKey } from '../crypto/signed-note.ts'
import { parseEntry } from '../audit/entry.ts'
import { leafHash } from '../audit/hasher.ts'
import { verifyInclusion } from '../audit/proof-verify.ts'
import { parseCommand, UsageError, type Values } from './args.ts'
import { bearerToken } from './bearer.ts'
import { getJson, serviceBase, ServiceError, type ServiceBase } from './service.ts'
import { receiptVerify as spec } from './specs/receipt.ts'

export interface Io {
  out: (line: string) => void
  env: NodeJS.ProcessEnv
  stdin?: () => string
  /** Where an unreachable service or a refused token is explained (standard error). */
  err?: (line: string) => void
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  env: process.env,
  stdin: () => readFileSync(0, 'utf8'),
  err: (l) => process.stderr.write(l + '\n')
}

class Invalid extends Error {}

export async function receipt (argv: string[], io: Io = defaultIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'verify') throw new UsageError('the only receipt command is verify')
  const { values, positionals } = parseCommand(spec, rest)
  if ((values['id-number'] === undefined) !== (values.nonce === undefined)) {
    throw new UsageError('--id-number and --nonce go together: whose ID it should be, and the nonce that came with it')
  }
  loadDotEnv()
  const env = io.env
  const token = positionals[0] === '-' ? (io.stdin ?? defaultIo.stdin!)().trim() : positionals[0]!
  // Only a check that asks the service needs its address (and a bad PORT matters only then).
  const base = values.jwks === undefined || values.proof === true ? serviceBase(values.url, env) : undefined

  try {
    let jwks: unknown
    if (values.jwks !== undefined) {
      try {
        jwks = JSON.parse(readFileSync(values.jwks, 'utf8'))
      } catch {
        throw new UsageError('--jwks is not a readable JSON file')
      }
    } else {
      jwks = await getJson(base!, '/.well-known/jwks.json', { action: 'fetching the published receipt keys' })
    }
    const checked = verifyReceipt(token, receiptKeys(jwks))
    if (!checked.ok) throw new Invalid(checked.reason)
    const c = checked.claims
    io.out(`signature: valid (EdDSA, key ${checked.kid}, issuer ${c.iss})`)
    const params = Object.keys(c.p).length === 0 ? '' : ' ' + JSON.stringify(c.p)
    io.out(`answer: ${c.q}${params} = ${c.a} (data as of ${c.asOf}, snapshot ${c.snap})`)
    io.out(`asked by ${c.cli} for ${c.pur}, case ${c.case}, at ${new Date(c.iat * 1000).toISOString()}; ` +
      `verification ${c.vid}, audit index ${c.idx} in ${c.log}`)

    if (values['id-number'] !== undefined) {
      const id = normaliseIdNumber(values['id-number'], todayCst())
      if (!id.ok) throw new Invalid('the ID number given is not a valid resident ID number')
      if (!checkCommitment(c.sub_c, id.value, values.nonce)) {
        throw new Invalid('the subject commitment does not match this ID number and nonce')
      }
      io.out('subject: the receipt is about this ID number')
    }
    if (values.proof === true) await checkProof(c, base!, values, env, io)
    io.out('VALID')
    return 0
  } catch (err) {
    if (err instanceof Invalid) {
      io.out('INVALID: ' + err.message)
      return 1
    }
    if (err instanceof ServiceError) {
      io.out('UNCHECKED: ' + err.message.split('\n')[0]!)
      const more = err.message.split('\n').slice(1).map((l) => l.trim()).join(' ')
      const offline = values.jwks === undefined ? 'Or check offline against a saved key set with --jwks FILE.' : ''
      const advice = [more, offline].filter((s) => s !== '').join(' ')
      if (advice !== '') (io.err ?? defaultIo.err!)('shifou receipt verify: ' + advice)
      return 3
    }
    throw err
  }
}

async function checkProof (
  c: ReceiptClaims, base: ServiceBase, values: Values<typeof spec.options>, env: NodeJS.ProcessEnv, io: Io
): Promise<void> {
  const published = async (): Promise<string | undefined> => {
    const body = await getJson(base, '/v1/audit/checkpoint-key', { action: 'fetching the checkpoint key' })
    return (body as { verifierKey?: string }).verifierKey
  }
  const vkey = values['checkpoint-key'] ?? await published() ?? ''
  const verifier = parseEd25519VerifierKey(vkey)
  if (verifier === null) throw new Invalid('the checkpoint key is not a signed-note verifier key')
  // The caller may read the entries and proofs of its own verifications.
  const bearer = bearerToken(values.token, env, { sub: c.cli, role: 'caller' }, 300)
  if (bearer === undefined) {
    throw new UsageError('--proof needs --token T (or SHIFOU_TOKEN, or SHIFOU_JWT_SECRET to mint a caller token)')
  }
  const authHint = `Reading audit entry ${c.idx} needs the token of the caller that asked (client ${c.cli}) or an ` +
    'auditor\'s: give it with --token or SHIFOU_TOKEN.'
  const get = async (path: string, action: string): Promise<unknown> =>
    await getJson(base, path, { action, authHint }, bearer)

  const stored = await get(`/v1/audit/entries/${c.idx}`, `fetching audit entry ${c.idx}`) as { leaf: string }
  const leaf = new Uint8Array(Buffer.from(stored.leaf, 'base64'))
  const mismatches = receiptEntryMismatches(c, parseEntry(leaf))
  if (mismatches.length > 0) {
    throw new Invalid(`audit entry ${c.idx} does not say what the receipt says (${mismatches.join(', ')})`)
  }
  const cp = await get('/v1/audit/checkpoint', 'fetching the latest checkpoint') as { note: string }
  const opened = openCheckpoint(cp.note, verifier, { origin: c.log })
  if (!opened.ok) throw new Invalid('checkpoint: ' + opened.message)
  const size = opened.checkpoint.size
  if (size <= c.idx) {
    throw new Invalid(`no signed checkpoint covers index ${c.idx} yet (latest size ${size}); retry in a few seconds`)
  }
  const proof = await get(`/v1/audit/proofs/inclusion?index=${c.idx}&size=${size}`, 'fetching the inclusion proof') as
    { proof: string[] }
  const path = proof.proof.map((p) => new Uint8Array(Buffer.from(p, 'base64')))
  if (!verifyInclusion(c.idx, size, leafHash(leaf), path, opened.checkpoint.root)) {
    throw new Invalid(`the inclusion proof of entry ${c.idx} does not lead to the signed root`)
  }
  io.out(`audit: entry ${c.idx} matches the receipt and is in the log, checkpoint of ${size} entries signed by ` +
    verifier.name)
}
