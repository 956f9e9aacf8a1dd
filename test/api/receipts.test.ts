/**
 * Receipts through the API (design §9): every answer carries a receipt that verifies with jose
 * against /.well-known/jwks.json and says what its audit entry says; a rotation keeps old
 * receipts verifying; the certificate shows only the masked ID and its QR codes hold, byte for
 * byte, the receipts first returned.
 */
import t from 'tap'
import * as jose from 'jose'
import pngjs from 'pngjs'
import jsQR from 'jsqr'
import { build, ADMIN, AUDITOR, CALLER, TEST_MASTER } from '../helpers/app.ts'
import { callerOf } from '../helpers/claims.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { Keyring } from '../../src/keys/keyring.ts'
import { maskIdNumber } from '../../src/matchers/cn-resident-id.ts'
import { WRAP_KEY_INFO, rotateSigningKey } from '../../src/receipts/keys.ts'
import { RECEIPT_TYPE, receiptEntryMismatches, type ReceiptClaims } from '../../src/receipts/receipt.ts'
import { checkCommitment } from '../../src/receipts/commitment.ts'
import { parseEntry } from '../../src/audit/entry.ts'
import type { ReceiptService } from '../../src/receipts/service.ts'

function qrText (png: Buffer): string | null {
  const image = pngjs.PNG.sync.read(png)
  // jsqr is CommonJS: its function is both the module and its `default`.
  return jsQR.default(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? null
}

t.test('receipts, rotation and certificates', async (t) => {
  const { app, database, keyring, as, verified } = await build(t)
  const { people } = await loadDemo(database, keyring, 80)
  const caller = as(CALLER)
  const jwksOf = async (): Promise<jose.JSONWebKeySet> => {
    const res = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    t.equal(res.statusCode, 200, 'the JWK Set is public')
    t.equal(res.headers['cache-control'], 'public, max-age=60')
    return res.json()
  }

  // Someone with no registered property: property.none answers yes.
  let owner: typeof people[number] | undefined
  let nonOwner: typeof people[number] | undefined
  for (const p of people) {
    const a = (await verified(CALLER, { idNumber: p.idNumber, caseId: 'SCAN' })).answers[0]!
    if (a.answer === 'yes') owner ??= p; else nonOwner ??= p
    if (owner !== undefined && nonOwner !== undefined) break
  }
  t.ok(owner !== undefined && nonOwner !== undefined, 'the demo has owners and non-owners')
  const person = nonOwner!

  const first = await verified(CALLER, {
    idNumber: person.idNumber,
    questions: ['property.none', { id: 'tax.paid_in_year', params: { year: 2025 } }],
    caseId: 'HS-2026-0007'
  })
  const jwks1 = await jwksOf()
  t.equal(jwks1.keys.length, 1)
  const set1 = jose.createLocalJWKSet(jwks1)

  await t.test('each answer carries a receipt that jose verifies and that says what its entry says', async (t) => {
    for (const a of first.answers) {
      const { payload, protectedHeader } = await jose.jwtVerify(a.receipt, set1, {
        typ: RECEIPT_TYPE,
        algorithms: ['EdDSA'],
        issuer: 'test.shifou.local/audit'
      })
      const claims = payload as unknown as ReceiptClaims
      t.equal(protectedHeader.kid, jwks1.keys[0]!.kid)
      t.match(claims, {
        vid: first.id,
        q: a.question,
        a: a.answer,
        asOf: a.asOf,
        idx: a.auditIndex,
        cli: DEMO_CLIENT,
        pur: DEMO_PURPOSE,
        case: 'HS-2026-0007',
        log: 'test.shifou.local/audit'
      })
      const stored = await as(AUDITOR)('GET', `/v1/audit/entries/${a.auditIndex}`)
      const entry = parseEntry(new Uint8Array(Buffer.from(stored.json().leaf, 'base64')))
      t.same(
        receiptEntryMismatches(claims, entry),
        [],
        `${a.question}: the receipt matches audit entry ${a.auditIndex}`
      )
      t.equal(entry.receiptKid, protectedHeader.kid, 'the entry names the signing key')
      t.equal(stored.json().entry.receiptKid, protectedHeader.kid, 'and the auditor sees it')
      t.ok(checkCommitment(claims.sub_c, person.idNumber, a.nonce), 'the commitment opens with the ID and the nonce')
      t.notOk(checkCommitment(claims.sub_c, owner!.idNumber, a.nonce), 'and not with another ID')
      t.notOk(JSON.stringify(payload).includes(person.idNumber), 'the receipt holds no ID number')
    }
    t.same(first.answers[1]!.receipt.split('.').length, 3)
    t.not(first.answers[0]!.nonce, first.answers[1]!.nonce, 'one nonce per answer')
  })

  await t.test('after a rotation, new answers use the new key and old receipts still verify', async (t) => {
    const wrapKey = new Keyring(new Map([[1, TEST_MASTER]])).derive(WRAP_KEY_INFO)
    const rotated = await rotateSigningKey(database, wrapKey, { sub: 'ops-1', role: 'admin' })
    // Other processes wait for their cache (2 s); this one is told at once.
    const service = app.receipts as ReceiptService
    service.keys.invalidate()
    const later = await verified(CALLER, {
      idNumber: person.idNumber,
      questions: 'property.none',
      caseId: 'HS-2026-0008'
    })
    const jwks2 = await jwksOf()
    t.same(jwks2.keys.map((k) => k.kid), [rotated.kid, jwks1.keys[0]!.kid], 'the retired key stays published')
    const set2 = jose.createLocalJWKSet(jwks2)
    t.equal(
      (await jose.jwtVerify(later.answers[0]!.receipt, set2, { typ: RECEIPT_TYPE })).protectedHeader.kid,
      rotated.kid
    )
    for (const a of first.answers) {
      t.equal(
        (await jose.jwtVerify(a.receipt, set2, { typ: RECEIPT_TYPE })).protectedHeader.kid,
        jwks1.keys[0]!.kid,
        'an old receipt verifies with the new JWK Set'
      )
    }
    await t.rejects(
      jose.jwtVerify(later.answers[0]!.receipt, set1),
      'a new receipt does not verify with the old key alone'
    )
  })

  await t.test('the certificate: masked ID, one QR code to the check link holding the receipts first returned',
    async (t) => {
      const url = `/v1/verifications/${first.id}/certificate`
      const zh = await caller('POST', url, { idNumber: person.idNumber })
      t.equal(zh.statusCode, 200, zh.body.slice(0, 300))
      t.equal(zh.headers['content-type'], 'text/html; charset=utf-8')
      const html = zh.body
      t.ok(html.includes(maskIdNumber(person.idNumber)), 'the masked ID is printed')
      t.match(maskIdNumber(person.idNumber), /^\d{4}\*{10}[\dX]{4}$/)
      t.notOk(html.includes(person.idNumber), 'the full ID is not')
      t.notOk(html.includes(person.idNumber.slice(4, 14)), 'nor its hidden middle')
      for (const a of first.answers) t.notOk(html.includes(a.nonce), 'the nonce is not printed')
      t.notMatch(html, /电子签章|shifou receipt verify|jwks/, 'no "seal" under the QR code, no command line')
      const taxPaid = first.answers[1]!.answer === 'yes'
      t.match(html, taxPaid ? /<title>数据核验证明<\/title>/ : /<title>无房产证明<\/title>/,
        'titled by its one certifying answer (two certified facts: the generic title)')
      t.match(html, /住房补贴申请/, 'the purpose by its title')
      t.notMatch(html, /housing-subsidy|property\.none|tax\.paid_in_year/, 'no raw codes on the Chinese page')
      t.match(html, /本市范围内的不动产登记数据/, 'the jurisdiction')
      t.match(html, /有效期至/, 'the validity period')
      t.equal((html.match(/<svg/g) ?? []).length, 1, 'one QR code')
      const link = /(http:\/\/[^<\s]+\/r#([A-Za-z0-9_-]{22}))</.exec(html)
      t.ok(link !== null, 'the check URL is printed under the QR code')
      const token = link![2]!
      t.ok(link![1]!.length < 80, 'a short URL, for a phone camera')
      const linked = await app.inject({ method: 'GET', url: '/v1/receipt-links/' + token })
      t.equal(linked.statusCode, 200, 'the link is public')
      t.same(linked.json().receipts, first.answers.map((a) => a.receipt),
        'the link holds the receipts first returned, byte for byte (rebuilt after a rotation)')
      t.match(linked.json(), {
        subject: { maskedId: maskIdNumber(person.idNumber), maskedName: null },
        titles: { questions: { 'property.none': { zh: '名下无登记的不动产' } }, purposes: { [DEMO_PURPOSE]: { zh: '住房补贴申请' } } }
      })
      t.notOk(linked.body.includes(person.idNumber))
      const again = await caller('POST', url, { idNumber: person.idNumber })
      t.ok(again.body.includes(token), 'printing again gives the same QR code')
      t.equal((await app.inject({ method: 'GET', url: '/v1/receipt-links/' + 'A'.repeat(22) })).statusCode, 404)
      const page = await app.inject({ method: 'GET', url: '/r' })
      t.equal(page.statusCode, 200)
      t.match(page.headers['content-security-policy'], /script-src 'self'/)
      t.notMatch(page.body, /<script>|<style>| style=/, 'no inline script or style')

      const png = await caller('POST', url, { idNumber: person.idNumber, format: 'png' })
      t.equal(png.headers['content-type'], 'image/png')
      t.equal(qrText(png.rawPayload), link![1], 'the PNG QR code decodes to the check URL')
      const one = await verified(CALLER, { idNumber: person.idNumber, questions: 'property.none', caseId: 'HS-9' })
      const en = await caller('POST', `/v1/verifications/${one.id}/certificate`,
        { idNumber: person.idNumber, lang: 'en' })
      t.match(en.body, /<title>Certificate of No Registered Property<\/title>/)
      t.match(en.body, /no property is registered to the holder of this ID number/)
      t.notOk(en.body.includes(person.idNumber))

      const receiptPng = await caller('POST', url,
        { idNumber: person.idNumber, format: 'png', question: 'tax.paid_in_year' })
      t.equal(qrText(receiptPng.rawPayload), first.answers[1]!.receipt, 'with `question`, the receipt itself')
      const svg = await caller('POST', url, { idNumber: person.idNumber, format: 'svg' })
      t.equal(svg.headers['content-type'], 'image/svg+xml; charset=utf-8')
      t.match(svg.body, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
      t.equal((await caller('POST', url, { idNumber: person.idNumber, format: 'svg', question: 'income.at_least' }))
        .statusCode, 400, 'a question not asked')
    })

  await t.test('a name is printed masked, and only when the verification confirmed it', async (t) => {
    const named = await verified(CALLER, {
      idNumber: person.idNumber, name: person.name, questions: ['property.none', 'identity.name_matches']
    })
    const url = `/v1/verifications/${named.id}/certificate`
    const html = (await caller('POST', url, { idNumber: person.idNumber, name: person.name })).body
    const masked = [...person.name][0] + '*'.repeat([...person.name].length - 2) + [...person.name].at(-1)
    t.ok(html.includes(`<td>${masked}</td>`), 'the masked name')
    t.notOk(html.includes(person.name), 'not the name itself')
    t.match(html, /上述人员名下无登记的不动产/)
    t.match(html, /<title>无房产证明<\/title>/, 'the identity check beside it does not take the title')
    const refused = await caller('POST', `/v1/verifications/${first.id}/certificate`,
      { idNumber: person.idNumber, name: person.name })
    t.equal(refused.json().code, 'NAME_NOT_CHECKED', 'no name question asked: no name printed')
    const wrong = await verified(CALLER, {
      idNumber: person.idNumber, name: person.name + '伟', questions: ['property.none', 'identity.name_matches']
    })
    const mismatch = await caller('POST', `/v1/verifications/${wrong.id}/certificate`, { idNumber: person.idNumber })
    t.match(mismatch.body, /<title>数据核验证明<\/title>/, 'a name that did not match: no 无房产证明')
    t.match(mismatch.body, /所报姓名与公民身份号码不一致/)
    t.equal((await caller('POST', `/v1/verifications/${wrong.id}/certificate`,
      { idNumber: person.idNumber, name: person.name + '伟' })).json().code, 'NAME_NOT_CHECKED')
  })

  await t.test('certificate refusals', async (t) => {
    const url = `/v1/verifications/${first.id}/certificate`
    const count = async (): Promise<number> =>
      Number(
        (
          await database.query<{ n: string }>(
            "select count(*) as n from audit_entries where kind = 'refusal' and code = 'FORBIDDEN'"
          )
        )[0]!.n
      )
    // Another registered, active client (an unregistered one is refused earlier, CLIENT_INACTIVE).
    const other = { id: 'someone-else', name: 'Other', questions: ['property.holds'], purposes: [DEMO_PURPOSE] }
    t.equal((await as(ADMIN)('POST', '/v1/clients', other)).statusCode, 201)
    const before = await count()
    const wrong = await caller('POST', url, { idNumber: owner!.idNumber })
    t.equal(wrong.statusCode, 403, 'another subject\'s ID')
    t.notOk(wrong.body.includes(owner!.idNumber))
    t.equal(
      (await as(callerOf('someone-else'))('POST', url, { idNumber: person.idNumber })).statusCode,
      403,
      'another caller'
    )
    t.equal(
      (
        await caller('POST', '/v1/verifications/00000000-0000-4000-8000-000000000000/certificate', {
          idNumber: person.idNumber
        })
      ).statusCode,
      403,
      'an unknown verification'
    )
    t.equal(await count(), before + 3, 'each refusal is audited')
    t.equal((await caller('POST', url, { idNumber: '123' })).json().code, 'INVALID_ID_NUMBER')
    t.equal((await caller('POST', url, { idNumber: person.idNumber, extra: 1 })).json().code, 'UNKNOWN_FIELD')
    t.equal(
      (await caller('POST', '/v1/verifications/not-a-uuid/certificate', { idNumber: person.idNumber })).statusCode,
      404
    )
    t.equal((await caller('GET', url)).statusCode, 404, 'no GET: the ID number never goes in a URL')
    t.equal((await as(AUDITOR)('POST', url, { idNumber: person.idNumber })).statusCode, 403, 'callers only')
    t.equal((await as(ADMIN)('POST', url, { idNumber: person.idNumber })).statusCode, 403)
  })
})

t.test('receipts off (benchmark only): answers without receipts, no certificate', async (t) => {
  const { database, keyring, as, ask } = await build(t, { receipts: false })
  const { people } = await loadDemo(database, keyring, 10)
  const res = await ask(CALLER, { idNumber: people[0]!.idNumber, caseId: 'X' })
  t.equal(res.statusCode, 200)
  t.notOk('receipt' in res.json().answers[0])
  const cert = await as(CALLER)('POST', `/v1/verifications/${res.json().id}/certificate`, {
    idNumber: people[0]!.idNumber
  })
  t.equal(cert.statusCode, 409)
})
