/**
 * A receipt's claims (src/receipts/receipt.ts) are built in canonical order, so that their RFC 8785
 * serialisation is JSON.stringify's; with parameters in any order, the payload is still the
 * reference serialisation (`canonicalize`).
 */
import t from 'tap'
import canonicalize from 'canonicalize'
import { makeEntry, type EntryInput } from '../../src/audit/entry.ts'
import { canonicalJson, inCanonicalOrder } from '../../src/crypto/jcs.ts'
import { receiptClaims } from '../../src/receipts/receipt.ts'

const answer: EntryInput = {
  kind: 'answer',
  actor: { sub: 'housing-bureau', role: 'caller' },
  verification: '6c1f2b0e-2d1e-4d6a-9a51-1c5e0f2a9b77',
  caller: 'housing-bureau',
  question: 'property.none',
  purpose: 'housing-subsidy',
  caseId: 'HS-2026-0007',
  answer: 'yes',
  asOf: '2026-12-01',
  snapshot: 12,
  subject: 'ab'.repeat(32),
  receiptKid: 'kid-1'
}
const context = { issuer: 'shifou', log: 'example/audit' }
const at = new Date('2026-12-07T09:00:00.123Z')

t.test('claims without parameters are in canonical order', async (t) => {
  const claims = receiptClaims(makeEntry(answer, 41, at), 'c'.repeat(43), context)
  t.ok(inCanonicalOrder(claims))
  t.equal(JSON.stringify(claims), canonicalize(claims))
})

t.test('with parameters out of order, the payload is still the reference serialisation', async (t) => {
  const entry = makeEntry({ ...answer, question: 'tax.paid_in_year', params: { year: 2025, band: 'b' } }, 41, at)
  const claims = receiptClaims(entry, 'c'.repeat(43), context)
  t.notOk(inCanonicalOrder(claims))
  t.equal(canonicalJson(claims), canonicalize(claims))
})
