/**
 * Issue 19's finding: a database superuser who truncates the audit log, or rewrites it with every
 * hash recomputed, and also deletes the checkpoints (and cosignatures) that would show it, passes
 * `shifou audit verify`: the database alone cannot tell. With a witness it fails: the witness
 * (a real `shifou witness` process) keeps the latest checkpoint it cosigned outside the database.
 *
 * Each attack runs on a log built by the real service, fed to the witness as in production, and
 * is checked with the CLI as an auditor runs it, without and with `--witness`.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AUDITOR, build, TEST_CHECKPOINT_SEED, TEST_MASTER, TEST_ORIGIN, TEST_SECRET } from '../helpers/app.ts'
import { createTestDatabase, databaseUrl } from '../helpers/db.ts'
import { startWitness, type RunningWitness } from '../helpers/witness.ts'
import { openDatabase, type Database, type Executor } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { canonicalBytes, parseEntry } from '../../src/audit/entry.ts'
import { leafHash } from '../../src/audit/hasher.ts'
import { CompactRange } from '../../src/audit/compact-range.ts'
import { storeNodes } from '../../src/audit/tree-store.ts'
import { parseCosignatureV1VerifierKey } from '../../src/crypto/cosignature.ts'
import { ed25519SignerFromSeed, ed25519VerifierKey } from '../../src/crypto/signed-note.ts'

const root = new URL('../..', import.meta.url).pathname
const dir = mkdtempSync(join(tmpdir(), 'shifou-witness-attacks-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const logKey = ed25519SignerFromSeed(TEST_ORIGIN, TEST_CHECKPOINT_SEED)
const TABLES = ['audit_entries', 'audit_nodes', 'audit_checkpoints', 'audit_cosignatures']
const SIZE = 120
const EVERY = 20

interface Run { code: number | null, stdout: string, stderr: string }

/** A database that the service, the test and the CLI can each open in turn. */
interface Place { env: Record<string, string>, open: () => Promise<Database> }

async function place (name: string): Promise<Place> {
  if (databaseUrl !== null) {
    const created = await createTestDatabase()
    t.teardown(async () => { await created.drop() })
    const open = async (): Promise<Database> => await openDatabase({ url: created.url, poolSize: 4 })
    return { env: { DATABASE_URL: created.url }, open }
  }
  const dataDir = join(dir, name)
  return { env: { SHIFOU_DATA_DIR: dataDir }, open: async () => await openDatabase({ url: null, dataDir }) }
}

async function verify (where: Place, args: string[]): Promise<Run> {
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/shifou.js'), 'audit', 'verify', ...args], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        ...where.env,
        SHIFOU_MASTER_KEY: b64(TEST_MASTER),
        SHIFOU_JWT_SECRET: b64(TEST_SECRET),
        SHIFOU_CHECKPOINT_KEY: b64(TEST_CHECKPOINT_SEED),
        SHIFOU_AUDIT_ORIGIN: TEST_ORIGIN
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/**
 * The service writes SIZE entries with a checkpoint every EVERY, each fed to the witness; returns
 * the last checkpoint's note as an auditor would have saved it (with its cosignature).
 */
async function buildLog (where: Place, w: RunningWitness): Promise<string> {
  const database = await where.open()
  await migrate(database)
  const key = parseCosignatureV1VerifierKey(w.verifierKey)!
  const a = await build(t, { database, witnesses: [{ name: 'w1', url: w.url, key }] })
  for (let i = 0; i < SIZE; i += EVERY) {
    await a.app.audit.append(Array.from({ length: EVERY }, (_, j) => ({
      kind: 'answer' as const,
      actor: { sub: 'housing', role: 'caller' as const },
      caller: 'housing',
      question: 'property.none',
      purpose: 'housing-subsidy',
      caseId: `A-${i + j}`,
      answer: (i + j) % 3 === 0 ? 'no' as const : 'yes' as const,
      subject: ((i + j) % 16).toString(16).repeat(64)
    })))
    await a.app.audit.checkpoint()
  }
  let note = ''
  for (let i = 0; i < 200 && note === ''; i++) {
    const cp = (await a.as(AUDITOR)('GET', '/v1/audit/checkpoint')).json()
    if (cp.size === SIZE && cp.cosignatures.length === 1) note = cp.note
    else await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await a.app.close()
  await database.close()
  if (note === '') throw new Error('the witness did not cosign the last checkpoint')
  return note
}

/** Runs `fn` with the append-only triggers off, as a database superuser can. */
async function asSuperuser (where: Place, fn: (db: Executor) => Promise<void>): Promise<void> {
  const db = await where.open()
  try {
    for (const table of TABLES) await db.query(`alter table ${table} disable trigger user`)
    await fn(db)
    for (const table of TABLES) await db.query(`alter table ${table} enable trigger user`)
  } finally {
    await db.close()
  }
}

/** What an attacker recomputes after editing entries: every perfect node from the stored leaf hashes. */
async function rebuildNodes (db: Executor): Promise<void> {
  const rows = await db.query<{ leaf_hash: Uint8Array }>('select leaf_hash from audit_entries order by index')
  const range = new CompactRange()
  const nodes = rows.flatMap((r) => range.append(new Uint8Array(r.leaf_hash)))
  await db.query('delete from audit_nodes')
  await storeNodes(db, nodes)
}

for (const attack of ['truncate', 'rewrite'] as const) {
  t.test(`${attack} the log and delete the checkpoints that show it: caught only with a witness`, async (t) => {
    const where = await place(attack)
    const w = await startWitness(t, ['--name', 'witness.test/attacks', '--data-dir', join(dir, `witness-${attack}`),
      '--log', ed25519VerifierKey(logKey)])
    const kept = await buildLog(where, w)
    const keptFile = join(dir, `kept-${attack}.txt`)
    writeFileSync(keptFile, kept)

    if (attack === 'truncate') { // (once: each run of the CLI costs seconds)
      const clean = await verify(where, ['--witness', w.url, '--witness', w.verifierKey])
      t.equal(clean.code, 0, `the untouched log passes with the witness: ${clean.stdout}${clean.stderr}`)
      t.match(clean.stdout, new RegExp(`extends the checkpoint of size ${SIZE} that witness witness.test/attacks`))
    }

    const k = 47 // the first entry the attack touches
    await asSuperuser(where, async (db) => {
      if (attack === 'truncate') {
        await db.query('delete from audit_entries where index >= $1', [k])
        await db.query('delete from audit_nodes where (index + 1) * (2::bigint ^ level)::bigint > $1', [k])
      } else {
        // Flip one answer and recompute its bytes, its leaf hash and the whole tree.
        const [row] = await db.query<{ entry: Uint8Array }>('select entry from audit_entries where index = $1', [k])
        const entry = parseEntry(new Uint8Array(row!.entry))
        const bytes = canonicalBytes({ ...entry, answer: entry.answer === 'yes' ? 'no' : 'yes' })
        await db.query('update audit_entries set entry = $2, leaf_hash = $3, answer = $4 where index = $1',
          [k, Buffer.from(bytes), Buffer.from(leafHash(bytes)), entry.answer === 'yes' ? 'no' : 'yes'])
        await rebuildNodes(db)
      }
      // …and the checkpoints and cosignatures that no longer match.
      await db.query('delete from audit_checkpoints where size > $1', [k])
      await db.query('delete from audit_cosignatures where size > $1', [k])
    })

    const alone = await verify(where, [])
    t.equal(alone.code, 0, `without a witness the ${attack} passes (the database alone cannot tell): ` +
      alone.stdout.trim())
    const fromDatabase = await verify(where, ['--witness', w.verifierKey])
    t.equal(fromDatabase.code, 0,
      'with only the witness\'s key, the database\'s own cosignatures were deleted too: it passes')

    const caught = await verify(where, ['--witness', w.url])
    t.equal(caught.code, 1, `with the witness's URL the ${attack} is caught`)
    // Without the witness's key, the checkpoint it serves is still signed by the log: that is the proof.
    const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
    const expected = (who: string): RegExp => attack === 'truncate'
      ? new RegExp(`^TAMPERED: first bad index ${k} .*: the log has ${k} entries but ${who} cosigned a checkpoint ` +
        `of size ${SIZE}: entries ${k}…${SIZE - 1} were removed \\(the log was truncated\\)\n$`)
      : new RegExp(`^TAMPERED: first bad index 0 \\(somewhere in 0…${SIZE - 1}\\): the log does not match the ` +
        `checkpoint of size ${SIZE} that ${who} cosigned: it was rewritten\n$`)
    t.match(caught.stdout, expected(esc(`witness ${w.url}/`)))
    const withKey = await verify(where, ['--witness', w.url, '--witness', w.verifierKey])
    t.equal(withKey.code, 1, 'caught with the URL and the key (the cosignature checked)')
    t.match(withKey.stdout, expected(esc(`witness witness.test/attacks (${w.url}/)`)))
    const kept2 = await verify(where, ['--witness', w.verifierKey, '--against', keptFile])
    t.equal(kept2.code, 1, 'caught with the key and a cosigned checkpoint kept elsewhere')
    t.match(kept2.stdout, /TAMPERED/)

    await w.stop()
    if (attack === 'rewrite') {
      const down = await verify(where, ['--witness', w.url])
      t.equal(down.code, 1, 'a witness that cannot be reached fails the check instead of passing it')
      t.match(down.stdout, /^UNVERIFIED: cannot read the witness/)
    }
  })
}

t.test('bad --witness values are usage errors', async (t) => {
  const where = await place('usage')
  const bad = await verify(where, ['--witness', 'not-a-key'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--witness takes a witness's http\(s\) URL or its cosignature verifier key/)
  const logVkey = await verify(where, ['--witness', ed25519VerifierKey(logKey)])
  t.equal(logVkey.code, 2, 'an Ed25519 (0x01) key is not a witness key')
})
