/**
 * Receipts are signed while their entries commit (src/verifications/stages/record.ts) and must
 * still say what the committed entry says. Two service processes on one database (two apps, each
 * with its own audit writer): a batch numbered by one after the other appended is numbered again,
 * and its answers must carry receipts of the entries as committed, not as first numbered.
 */
import t from 'tap'
import * as jose from 'jose'
import { build, AUDITOR, CALLER } from '../helpers/app.ts'
import { testDatabase } from '../helpers/db.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { parseEntry, type Entry, type EntryInput } from '../../src/audit/entry.ts'
import { receiptEntryMismatches, type ReceiptClaims } from '../../src/receipts/receipt.ts'
import type { AuditWriter, Companion, Numbered } from '../../src/audit/writer.ts'

t.test('two processes answering at once: every receipt says what its committed entry says', async (t) => {
  const database = await testDatabase(t)
  const one = await build(t, { database })
  const two = await build(t, { database })
  const { people } = await loadDemo(database, one.keyring, 40)

  // Count the batches of the first process that were numbered more than once.
  const writer = one.app.audit as AuditWriter
  const commit = writer.commit.bind(writer)
  let told = 0
  let commits = 0
  writer.commit = async (inputs: EntryInput[], companion?: Companion, numbered?: Numbered): Promise<Entry[]> => {
    commits++
    return await commit(inputs, companion, numbered === undefined
      ? undefined
      : (entries) => { told++; numbered(entries) })
  }

  const answers = []
  for (let wave = 0; wave < 6; wave++) {
    // The second process appends first, so that the first one's next batch finds the log grown
    // (from the second wave on: in the first, the first process has no tree yet) and is numbered again.
    answers.push(...(await two.verified(CALLER, { idNumber: people[30]!.idNumber, caseId: `LEAD-${wave}` })).answers)
    const asked = people.slice(0, 20).map(async (p, i) => await (i % 2 === 0 ? one : two).verified(CALLER, {
      idNumber: p.idNumber,
      questions: ['property.none', 'property.holds'],
      caseId: `WAVE-${wave}-${i}`
    }))
    answers.push(...(await Promise.all(asked)).flatMap((v) => v.answers))
  }
  t.ok(told > commits, `some batches were numbered again (${told} numberings for ${commits} commits)`)

  const jwks = jose.createLocalJWKSet((await one.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json())
  const auditor = one.as(AUDITOR)
  const indices = new Set<number>()
  for (const a of answers) {
    const { payload } = await jose.jwtVerify(a.receipt, jwks, { algorithms: ['EdDSA'] })
    const claims = payload as unknown as ReceiptClaims
    t.equal(claims.idx, a.auditIndex, 'the receipt names the answer\'s audit index')
    const stored = await auditor('GET', `/v1/audit/entries/${a.auditIndex}`)
    const entry = parseEntry(new Uint8Array(Buffer.from(stored.json().leaf, 'base64')))
    t.same(receiptEntryMismatches(claims, entry), [], `entry ${a.auditIndex}: the receipt matches it`)
    indices.add(a.auditIndex)
  }
  t.equal(indices.size, answers.length, `${answers.length} answers, each with an entry of its own`)
})
