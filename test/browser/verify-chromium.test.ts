/**
 * The verification module in real Chromium: /assets/verify.js imported by a page of the service
 * (its WebCrypto SHA-256 and Ed25519) verifies a receipt the service issued and the citizen's
 * entries against the signed checkpoint, and refuses a tampered receipt and a tampered leaf.
 */
import t from 'tap'
import { build, CALLER } from '../helpers/app.ts'
import { subjectOf } from '../helpers/claims.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { listen, newPage } from './browser.ts'

t.test('verify.js in Chromium', async (t) => {
  const { app, database, keyring, as, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 10)
  const alice = people[0]!
  const answer = await verified(CALLER, { idNumber: alice.idNumber, questions: ['property.none'] })
  const receipt = answer.answers[0]!.receipt
  const log = (await as(subjectOf(alice.idNumber))('GET', '/v1/me/access-log')).json()
  const base = await listen(t, app)
  const page = await newPage(t)
  await page.goto(base + '/healthz')

  const results = await page.evaluate(async ({ receipt, log }) => {
    const v = await import('/assets/verify.js' as string)
    const jwks = await (await fetch('/.well-known/jwks.json')).json()
    const { verifierKey } = await (await fetch('/v1/audit/checkpoint-key')).json() as { verifierKey: string }
    const e = log.entries[0]
    const tampered = receipt.slice(0, 40) + (receipt[40] === 'A' ? 'B' : 'A') + receipt.slice(41)
    const leaf = JSON.parse(atob(e.leaf))
    const changed = { ...e, leaf: btoa(JSON.stringify({ ...leaf, caseId: 'other' })) }
    return {
      receipt: (await v.verifyReceipt(receipt, jwks)).ok,
      tampered: (await v.verifyReceipt(tampered, jwks)).ok,
      entry: (await v.verifyEntry(e, log.checkpoint.note, verifierKey, { subject: log.subject })).ok,
      changed: (await v.verifyEntry(changed, log.checkpoint.note, verifierKey)).ok
    }
  }, { receipt, log })
  t.same(results, { receipt: true, tampered: false, entry: true, changed: false })
})
