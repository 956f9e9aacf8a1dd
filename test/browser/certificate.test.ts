/**
 * The certificate and the receipt check page in real Chromium (design §14.4): the certificate
 * prints on one A4 page; a phone-style read of its QR code (jsqr on a screenshot) gives the check
 * URL; that page verifies the receipts in the browser and says 有效 / valid, with the masked name
 * and ID the paper shows; a tampered receipt or link says 无效. axe-core finds no serious or
 * critical violation on either page. SHIFOU_SCREENSHOTS=docs/screenshots saves the screenshots (shown in the
 * README); a test run leaves the checkout as it was.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build, CALLER } from '../helpers/app.ts'
import { loadDemo } from '../../src/demo/demo.ts'
import { maskIdNumber } from '../../src/matchers/cn-resident-id.ts'
import { decodeQr, listen, newPage, seriousViolations } from './browser.ts'

const SHOTS = process.env.SHIFOU_SCREENSHOTS
const save = (name: string, png: Buffer): void => {
  if (SHOTS === undefined) return
  mkdirSync(SHOTS, { recursive: true })
  writeFileSync(join(SHOTS, name), png)
}

t.test('certificate → QR → check page', async (t) => {
  const { app, database, keyring, token, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 40)
  let subject: typeof people[number] | undefined
  let answer: Awaited<ReturnType<typeof verified>> | undefined
  for (const p of people) {
    const v = await verified(CALLER, {
      idNumber: p.idNumber,
      name: p.name,
      questions: ['property.none', 'identity.name_matches'],
      caseId: '穗住保〔2026〕0001号'
    })
    if (v.answers.every((a) => a.answer === 'yes')) { subject = p; answer = v; break }
  }
  t.ok(subject !== undefined, 'someone in the demo owns no property')
  const person = subject!
  const base = await listen(t, app)

  const res = await fetch(`${base}/v1/verifications/${answer!.id}/certificate`, {
    method: 'POST',
    headers: { authorization: 'Bearer ' + token(CALLER), 'content-type': 'application/json' },
    body: JSON.stringify({ idNumber: person.idNumber, name: person.name })
  })
  t.equal(res.status, 200)
  const html = await res.text()

  const cert = await newPage(t, { viewport: { width: 794, height: 1123 } })
  await cert.goto(base + '/healthz')
  await cert.setContent(html, { waitUntil: 'load' })
  t.equal(await cert.title(), '无房产证明')
  const pdf = await cert.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true })
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length
  t.equal(pages, 1, 'the certificate prints on one A4 page')
  t.same(await seriousViolations(cert), [], 'the certificate: no serious or critical accessibility violation')
  const shot = await cert.screenshot({ fullPage: true })
  save('certificate.png', shot)
  const url = decodeQr(shot)
  t.ok(url !== null, 'a phone camera reads the QR code')
  t.match(url, new RegExp(`^${base.replace(/\./g, '\\.')}/r#[A-Za-z0-9_-]{22}$`), 'it holds the check URL')
  t.ok(url!.length < 80, 'a short one')

  const check = await newPage(t, { viewport: { width: 412, height: 915 }, deviceScaleFactor: 2, isMobile: true })
  await check.goto(url!)
  await check.waitForSelector('#verdict[data-result="valid"]', { timeout: 15_000 })
  const text = await check.locator('main').innerText()
  t.match(text, /有效/, 'it says valid in Chinese')
  t.match(text, /Valid/, 'and in English below')
  t.ok(text.indexOf('有效') < text.indexOf('Valid'), 'Chinese first')
  t.match(text, /名下无登记的不动产/, 'the question by its title')
  t.match(text, /住房补贴申请/, 'the purpose by its title')
  t.ok(text.includes(maskIdNumber(person.idNumber)), 'the masked ID, as on the paper')
  const masked = [...person.name][0]!
  t.match(text, new RegExp(masked + '\\*'), 'the masked name, as on the paper')
  t.notOk(text.includes(person.idNumber), 'never the ID number')
  t.same(await seriousViolations(check), [], 'the check page: no serious or critical accessibility violation')
  save('receipt-check.png', await check.screenshot({ fullPage: true }))

  const receipt = answer!.answers[0]!.receipt
  const tampered = receipt.slice(0, 60) + (receipt[60] === 'A' ? 'B' : 'A') + receipt.slice(61)
  const bad = await newPage(t, { viewport: { width: 412, height: 915 }, deviceScaleFactor: 2, isMobile: true })
  await bad.goto(`${base}/r#${receipt}`)
  await bad.waitForSelector('#verdict[data-result="valid"]', { timeout: 15_000 })
  t.pass('a receipt itself in the fragment verifies')
  await bad.goto(`${base}/r#${tampered}`)
  await bad.reload()
  await bad.waitForSelector('#verdict[data-result="invalid"]', { timeout: 15_000 })
  t.match(await bad.locator('#verdict').innerText(), /无效/, 'a tampered receipt is invalid')
  save('receipt-check-invalid.png', await bad.screenshot({ fullPage: true }))
  const token22 = url!.split('#')[1]!
  await bad.goto(`${base}/r#${token22.slice(0, 21)}${token22[21] === 'A' ? 'B' : 'A'}`)
  await bad.reload()
  await bad.waitForSelector('#verdict[data-result="invalid"]', { timeout: 15_000 })
  t.pass('a changed link is invalid')
})
