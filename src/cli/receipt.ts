/**
 * `shifou receipt verify RECEIPT [--jwks FILE] [--url URL] [--id-number N --nonce X] [--proof]
 *  [--token T] [--checkpoint-key VKEY]`: checks a receipt (design §9) — structure, key, signature
 * and claims — offline against a JWK Set file, or against /.well-known/jwks.json of --url. With
 * the ID number and the nonce, checks the subject commitment; with --proof, fetches the receipt's
 * audit entry, checks it says what the receipt says, and checks its inclusion proof against the
 * latest signed checkpoint. Exit 0 when every check passes, 1 with the reason otherwise, 2 on
 * bad usage. RECEIPT may be `-` to read it from standard input.
 *
 * It reads no database and makes no secret: the port, SHIFOU_TOKEN and (to mint a caller token
 * for --proof) SHIFOU_JWT_SECRET come from the environment.
 */
import { readFileSync } from 'node:fs'
import { loadDotEnv, decodeSecret } from '../config.ts'
import { normaliseIdNumber, todayCst } from '../matchers/cn-resident-id.ts'
import { receiptKeys } from '../receipts/jwk.ts'
import { receiptEntryMismatches, verifyReceipt, type ReceiptClaims } from '../receipts/receipt.ts'
import { checkCommitment } from '../receipts/commitment.ts'
import { openCheckpoint } from '../audit/checkpoint-note.ts'
import { parseEd25519VerifierKey } from '../crypto/signed-note.ts'
import { parseEntry } from '../audit/entry.ts'
import { leafHash } from '../audit/hasher.ts'
import { verifyInclusion } from '../audit/proof-verify.ts'
import { mintToken } from '../tokens.ts'
import { parse, UsageError } from './args.ts'

export interface Io { out: (line: string) => void, env: NodeJS.ProcessEnv, stdin?: () => string }

const defaultIo: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  env: process.env,
  stdin: () => readFileSync(0, 'utf8')
}

class Invalid extends Error {}

async function getJson (url: URL, token?: string): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(url, { headers: token === undefined ? {} : { authorization: 'Bearer ' + token } })
  } catch {
    throw new Invalid(`cannot reach ${url.origin}`)
  }
  const body: unknown = await res.json().catch(() => null)
  if (!res.ok) {
    const code = (body as { code?: unknown } | null)?.code
    throw new Invalid(`${url.pathname} answered ${res.status}${typeof code === 'string' ? ' ' + code : ''}`)
  }
  return body
}

const USAGE = 'usage: shifou receipt verify RECEIPT [--jwks FILE] [--url URL] [--id-number N --nonce X] [--proof] ' +
  '[--token T] [--checkpoint-key VKEY]'

export async function receipt (argv: string[], io: Io = defaultIo): Promise<number> {
  const [sub, ...rest] = argv
  if (sub !== 'verify') throw new UsageError(USAGE)
  const { values, positionals } = parse(rest, {
    jwks: { type: 'string' },
    url: { type: 'string' },
    'id-number': { type: 'string' },
    nonce: { type: 'string' },
    proof: { type: 'boolean' },
    token: { type: 'string' },
    'checkpoint-key': { type: 'string' }
  }, true)
  if (positionals.length !== 1) throw new UsageError('give exactly one RECEIPT (or - to read it from standard input)')
  if ((values['id-number'] === undefined) !== (values.nonce === undefined)) {
    throw new UsageError('--id-number and --nonce go together')
  }
  loadDotEnv()
  const env = io.env
  const token = positionals[0] === '-' ? (io.stdin ?? defaultIo.stdin!)().trim() : positionals[0]!
  const base = new URL(values.url ?? `http://127.0.0.1:${env.PORT && env.PORT !== '' ? env.PORT : '8080'}`)

  try {
    let jwks: unknown
    if (values.jwks !== undefined) {
      try {
        jwks = JSON.parse(readFileSync(values.jwks, 'utf8'))
      } catch {
        throw new UsageError('--jwks is not a readable JSON file')
      }
    } else {
      jwks = await getJson(new URL('/.well-known/jwks.json', base))
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
    if (values.proof === true) await checkProof(c, base, values, env, io)
    io.out('VALID')
    return 0
  } catch (err) {
    if (err instanceof Invalid) {
      io.out('INVALID: ' + err.message)
      return 1
    }
    throw err
  }
}

async function checkProof (
  c: ReceiptClaims,
  base: URL,
  values: { token?: string | undefined, 'checkpoint-key'?: string | undefined },
  env: NodeJS.ProcessEnv,
  io: Io
): Promise<void> {
  const vkey = values['checkpoint-key'] ??
    (await getJson(new URL('/v1/audit/checkpoint-key', base)) as { verifierKey?: string }).verifierKey ?? ''
  const verifier = parseEd25519VerifierKey(vkey)
  if (verifier === null) throw new Invalid('the checkpoint key is not a signed-note verifier key')
  let bearer = values.token ?? (env.SHIFOU_TOKEN === '' ? undefined : env.SHIFOU_TOKEN)
  if (bearer === undefined && env.SHIFOU_JWT_SECRET !== undefined && env.SHIFOU_JWT_SECRET !== '') {
    // The caller may read the entries and proofs of its own verifications.
    const secret = decodeSecret('SHIFOU_JWT_SECRET', env.SHIFOU_JWT_SECRET)
    bearer = mintToken(secret, env.SHIFOU_JWT_ISSUER || 'shifou', { sub: c.cli, role: 'caller' }, 300)
  }
  if (bearer === undefined) {
    throw new UsageError('--proof needs --token (or SHIFOU_TOKEN, or SHIFOU_JWT_SECRET to mint a caller token)')
  }

  const stored = await getJson(new URL(`/v1/audit/entries/${c.idx}`, base), bearer) as { leaf: string }
  const leaf = new Uint8Array(Buffer.from(stored.leaf, 'base64'))
  const mismatches = receiptEntryMismatches(c, parseEntry(leaf))
  if (mismatches.length > 0) {
    throw new Invalid(`audit entry ${c.idx} does not say what the receipt says (${mismatches.join(', ')})`)
  }
  const cp = await getJson(new URL('/v1/audit/checkpoint', base), bearer) as { note: string }
  const opened = openCheckpoint(cp.note, verifier, { origin: c.log })
  if (!opened.ok) throw new Invalid('checkpoint: ' + opened.message)
  const size = opened.checkpoint.size
  if (size <= c.idx) {
    throw new Invalid(`no signed checkpoint covers index ${c.idx} yet (latest size ${size}); retry in a few seconds`)
  }
  const proofUrl = new URL(`/v1/audit/proofs/inclusion?index=${c.idx}&size=${size}`, base)
  const proof = (await getJson(proofUrl, bearer) as { proof: string[] }).proof
    .map((p) => new Uint8Array(Buffer.from(p, 'base64')))
  if (!verifyInclusion(c.idx, size, leafHash(leaf), proof, opened.checkpoint.root)) {
    throw new Invalid(`the inclusion proof of entry ${c.idx} does not lead to the signed root`)
  }
  io.out(`audit: entry ${c.idx} matches the receipt and is in the log, ` +
    `checkpoint of ${size} entries signed by ${verifier.name}`)
}
