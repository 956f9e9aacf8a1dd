/**
 * The citizen's access history (GET /v1/me/access-log): exactly the requests about the token's
 * subject, none about anyone else; a confidential caller only after its disclosure delay (one of an
 * hour that never passes here, and one of two seconds that the last case waits for: a short delay
 * for every check would pass under a loaded machine before the checks that need it hidden); every
 * entry's inclusion proof verifies against the signed checkpoint; and a changed leaf is caught.
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER, TEST_CHECKPOINT_SEED, TEST_ORIGIN } from '../helpers/app.ts'
import { callerOf, subjectOf } from '../helpers/claims.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { openCheckpoint } from '../../src/audit/checkpoint-note.ts'
import { ed25519SignerFromSeed } from '../../src/crypto/signed-note.ts'
import { leafHash } from '../../src/audit/hasher.ts'
import { verifyInclusion } from '../../src/audit/proof-verify.ts'
import { checkAccessLog } from '../../src/audit/access-log.ts'

const POLICE = callerOf('police')
const INSPECTOR = callerOf('inspection')
const POLICE_DELAY = 3600
const INSPECTION_DELAY = 2
const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const signer = ed25519SignerFromSeed(TEST_ORIGIN, TEST_CHECKPOINT_SEED)
const verifier = { name: TEST_ORIGIN, publicKey: signer.publicKey }

interface Page {
  subject: string
  about: { zh: string, en: string }
  entries: Array<{
    index: number
    at: string
    kind: string
    caller: string
    callerName: string | null
    question: string | null
    questionTitle: { zh: string, en: string } | null
    purposeTitle: { zh: string, en: string } | null
    summary: { zh: string, en: string }
    purpose: string | null
    caseId: string | null
    code: string | null
    leaf: string
    proof: string[] | null
  }>
  checkpoint: { origin: string, size: number, root: string, note: string }
  next: string | null
  verify: string
}

t.test('access log', async (t) => {
  const { database, keyring, as, ask } = await build(t)
  const { people } = await loadDemo(database, keyring, 30)
  const [alice, bob, carol] = people as [typeof people[0], typeof people[0], typeof people[0]]
  const confidential = async (id: string, name: string, purpose: string, delay: number): Promise<void> => {
    const created = await as(ADMIN)('POST', '/v1/clients', {
      id, name, questions: ['property.holds'], purposes: [purpose], confidential: true, disclosureDelaySeconds: delay
    })
    t.equal(created.statusCode, 201, created.body)
    t.match(created.json(), { confidential: true, disclosureDelaySeconds: delay })
  }
  await confidential('police', 'Police investigations', 'investigation', POLICE_DELAY)
  await confidential('inspection', 'Tax inspection', 'inspection', INSPECTION_DELAY)
  const notConfidential = await as(ADMIN)('POST', '/v1/clients', {
    id: 'leaky',
    name: 'x',
    questions: [],
    purposes: ['x'],
    disclosureDelaySeconds: 5
  })
  t.equal(notConfidential.json().code, 'INVALID_DEFINITION', 'a delay needs a confidential client')

  const status = async (...args: Parameters<typeof ask>): Promise<number> => (await ask(...args)).statusCode
  t.equal(await status(CALLER, { idNumber: alice.idNumber, caseId: 'A-1' }), 200)
  t.equal(await status(CALLER, { idNumber: bob.idNumber, caseId: 'B-1' }), 200)
  t.equal(
    await status(CALLER, { idNumber: alice.idNumber, purpose: 'marketing', caseId: 'A-2' }),
    403,
    'a refused request about alice'
  )
  t.equal(await status(CALLER, { idNumber: carol.idNumber, caseId: 'C-1' }), 200)
  t.equal(await status(CALLER, { idNumber: alice.idNumber, caseId: 'A-3' }), 200)
  t.equal(await status(POLICE, { idNumber: alice.idNumber, purpose: 'investigation', caseId: 'P-1' }), 200)
  t.equal(
    (await as(AUDITOR)('POST', '/v1/audit/subject-search', { idNumber: alice.idNumber, reason: 'Complaint 7 review' }))
      .statusCode,
    200
  )

  const pseudonym = keyring.audit.pseudonym(alice.idNumber)
  /** The entries about alice, newest first, but those of the confidential callers not named. */
  const expected = async (visible: string[] = []): Promise<number[]> =>
    (
      await database.query<{ index: number }>(
        `select index from audit_entries where subject = $1 and kind in ('answer', 'refusal')
      and (caller not in ('police', 'inspection') or caller = any($2)) order by index desc`,
        [pseudonym, visible]
      )
    ).map((r) => Number(r.index))
  const read = async (who: string, query = ''): Promise<Page> => {
    const res = await as(subjectOf(who))('GET', '/v1/me/access-log' + query)
    t.equal(res.statusCode, 200, res.body)
    return res.json()
  }

  await t.test('exactly the entries about the subject, confidential callers hidden', async (t) => {
    const page = await read(alice.idNumber)
    t.equal(page.subject, pseudonym)
    t.same(
      page.entries.map((e) => e.index),
      await expected(),
      'the answers and the refusal about alice, and nothing else'
    )
    t.equal(page.entries.length, 3)
    t.same(
      page.entries.map((e) => [e.kind, e.caseId, e.code]),
      [
        ['answer', 'A-3', null],
        ['refusal', 'A-2', 'PURPOSE_NOT_ALLOWED'],
        ['answer', 'A-1', null]
      ],
      'newest first'
    )
    t.match(page.entries[2], {
      caller: DEMO_CLIENT,
      callerName: 'Demo housing subsidy approval system',
      question: 'property.holds',
      questionTitle: { zh: '名下有登记的不动产', en: 'Holds registered property' },
      purpose: DEMO_PURPOSE,
      purposeTitle: { zh: '住房补贴申请', en: 'Housing subsidy application' },
      summary: {
        zh: new RegExp('^\\d{4}年\\d{1,2}月\\d{1,2}日 \\d\\d:\\d\\d，Demo housing subsidy approval system' +
          '为办理“住房补贴申请”核验了“名下有登记的不动产”（业务编号 A-1），结果：'),
        en: /checked “Holds registered property” for “Housing subsidy application” \(case A-1\)/
      }
    })
    t.match(page.entries[1], {
      purposeTitle: { zh: 'marketing', en: 'marketing' },
      summary: { zh: /请求被拒绝，未进行核验。$/ }
    }, 'an unregistered purpose shows as its code; a refusal says nothing was checked')
    t.notMatch(page.about.zh, /RFC|Merkle|哈希/, 'the citizen is told in plain words')
    const oldest = await read(alice.idNumber, '?order=oldest')
    t.same(oldest.entries.map((e) => e.index), (await expected()).reverse(), 'order=oldest')
    t.notOk(page.entries.some((e) => e.caller === 'police'), 'the police request is not shown yet')
    t.notOk(JSON.stringify(page).includes(alice.idNumber), 'the ID number is not in the response')
    t.equal(page.next, null)
    const bobs = await read(bob.idNumber)
    t.same(bobs.entries.map((e) => e.caseId), ['B-1'], 'bob sees his own entry only')
    t.not(bobs.subject, pseudonym)
  })

  await t.test('every entry is proved in the signed log', async (t) => {
    const page = await read(alice.idNumber)
    t.ok(
      page.checkpoint.size > Math.max(...page.entries.map((e) => e.index)),
      'a checkpoint covering the page was signed'
    )
    const opened = openCheckpoint(page.checkpoint.note, verifier, { origin: TEST_ORIGIN })
    t.ok(opened.ok, 'the checkpoint note is signed by the published key')
    const root = opened.ok ? opened.checkpoint.root : new Uint8Array(32)
    t.equal(Buffer.from(root).toString('base64'), page.checkpoint.root)
    for (const e of page.entries) {
      const leaf = b(e.leaf)
      const entry = JSON.parse(Buffer.from(leaf).toString())
      t.equal(entry.subject, pseudonym, `entry ${e.index} names alice's pseudonym`)
      t.equal(entry.index, e.index)
      t.ok(
        verifyInclusion(e.index, page.checkpoint.size, leafHash(leaf), e.proof!.map(b), root),
        `entry ${e.index}: the inclusion proof verifies`
      )
    }
    t.same(checkAccessLog(page, verifier), [], 'the documented check passes')
    t.match(page.verify, /RFC 9162/)

    // A page the service altered would not pass.
    const changed = structuredClone(page)
    const leaf = JSON.parse(Buffer.from(changed.entries[0]!.leaf, 'base64').toString())
    leaf.caller = 'someone-else'
    changed.entries[0]!.leaf = Buffer.from(JSON.stringify(leaf)).toString('base64')
    t.match(checkAccessLog(changed, verifier), [/inclusion proof does not verify/], 'a changed leaf fails its proof')
    const foreign = structuredClone(page)
    foreign.subject = 'ab'.repeat(32)
    t.equal(checkAccessLog(foreign, verifier).length, page.entries.length, 'entries about another subject are caught')
    const forged = structuredClone(page)
    forged.checkpoint.note = forged.checkpoint.note.replace(/\n\d+\n/, `\n${page.checkpoint.size + 1}\n`)
    t.match(checkAccessLog(forged, verifier), [/checkpoint/], 'an unsigned checkpoint is caught')
  })

  await t.test('paging', async (t) => {
    const seen: number[] = []
    let cursor: string | null = ''
    let pages = 0
    while (cursor !== null) {
      const page: Page = await read(alice.idNumber, `?limit=1${cursor === '' ? '' : '&cursor=' + cursor}`)
      seen.push(...page.entries.map((e) => e.index))
      t.ok(page.entries.every((e) => e.proof !== null))
      cursor = page.next
      pages++
    }
    t.same(seen, await expected(), 'the pages together are the whole list')
    t.equal(pages, 3)
    const ascending: number[] = []
    for (let c: string | null = ''; c !== null;) {
      const page: Page = await read(alice.idNumber, `?order=oldest&limit=2${c === '' ? '' : '&cursor=' + c}`)
      ascending.push(...page.entries.map((e) => e.index))
      c = page.next
    }
    t.same(ascending, (await expected()).reverse(), 'oldest first, paged')
    t.equal((await as(subjectOf(alice.idNumber))('GET', '/v1/me/access-log?limit=abc')).statusCode, 400)
  })

  await t.test('a confidential caller appears once its delay has passed', async (t) => {
    t.equal(await status(INSPECTOR, { idNumber: alice.idNumber, purpose: 'inspection', caseId: 'I-1' }), 200)
    const [asked] = await database.query<{
      at: string
    }>(`select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
      from audit_entries where caller = 'inspection' and kind = 'answer'`)
    const wait = Date.parse(asked!.at) + INSPECTION_DELAY * 1000 + 250 - Date.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const page = await read(alice.idNumber)
    t.same(
      page.entries.map((e) => e.index),
      await expected(['inspection']),
      'now with the inspection request; the police one is still hidden'
    )
    t.match(page.entries[0], {
      caller: 'inspection',
      callerName: 'Tax inspection',
      purpose: 'inspection',
      caseId: 'I-1'
    })
    t.same(checkAccessLog(page, verifier), [])
  })

  await t.test('only the subject reads it', async (t) => {
    for (const who of [CALLER, AUDITOR, ADMIN]) {
      const res = await as(who)('GET', '/v1/me/access-log')
      t.equal(res.statusCode, 403, who.role)
      t.equal(res.json().code, 'FORBIDDEN', who.role + ': FORBIDDEN')
    }
    const none = await read(people[20]!.idNumber)
    t.same(none.entries, [], 'a subject nobody asked about sees an empty list')
    t.equal(none.next, null, 'and no further page')
    t.same(checkAccessLog(none, verifier), [], 'the empty page passes the documented check')
  })
})
