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

  await t.test('the certificate: masked ID only, and QR codes holding the receipts first returned', async (t) => {
    const url = `/v1/verifications/${first.id}/certificate`
    const zh = await caller('POST', url, { idNumber: person.idNumber })
    t.equal(zh.statusCode, 200, zh.body.slice(0, 300))
    t.equal(zh.headers['content-type'], 'text/html; charset=utf-8')
    const html = zh.body
    t.ok(html.includes(maskIdNumber(person.idNumber)), 'the masked ID is printed')
    t.match(maskIdNumber(person.idNumber), /^\d{4}\*{10}[\dX]{4}$/)
    t.notOk(html.includes(person.idNumber), 'the full ID is not')
    t.notOk(html.includes(person.idNumber.slice(4, 14)), 'nor its hidden middle')
    for (const a of first.answers) {
      t.ok(
        html.includes(a.receipt),
        `the receipt of ${a.question} is the one first returned, byte for byte ` +
        '(rebuilt from its entry after a rotation)'
      )
      t.notOk(html.includes(a.nonce), 'the nonce is not printed')
      t.ok(html.includes(`<td>${a.auditIndex}</td>`), 'the audit index is printed')
    }
    t.ok(html.includes(first.id), 'the verification id')
    t.match(html, /数据核验证明/, 'two answers: the generic title')
    t.match(html, /出具时间<\/th><td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\+8\)/, 'the issue time')
    t.equal((html.match(/<svg/g) ?? []).length, 2, 'one QR code per answer, inline')

    const one = await verified(CALLER, {
      idNumber: person.idNumber,
      questions: 'property.none',
      caseId: 'HS-2026-0009'
    })
    const single = await caller('POST', `/v1/verifications/${one.id}/certificate`, {
      idNumber: person.idNumber,
      lang: 'zh'
    })
    t.match(single.body, /<title>无房产证明<\/title>/, 'a proof of no property is titled 无房产证明')
    const en = await caller('POST', `/v1/verifications/${one.id}/certificate`, {
      idNumber: person.idNumber,
      lang: 'en'
    })
    t.match(en.body, /<title>Certificate of No Registered Property<\/title>/)
    t.match(en.body, /no property is registered to the holder of this ID number/)
    t.notOk(en.body.includes(person.idNumber))

    const png = await caller('POST', url, { idNumber: person.idNumber, format: 'png', question: 'tax.paid_in_year' })
    t.equal(png.statusCode, 200)
    t.equal(png.headers['content-type'], 'image/png')
    t.equal(qrText(png.rawPayload), first.answers[1]!.receipt, 'the PNG QR code decodes to the receipt')
    const svg = await caller('POST', `/v1/verifications/${one.id}/certificate`, {
      idNumber: person.idNumber,
      format: 'svg'
    })
    t.equal(svg.statusCode, 200)
    t.equal(svg.headers['content-type'], 'image/svg+xml; charset=utf-8')
    t.match(svg.body, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    t.equal(
      (await caller('POST', url, { idNumber: person.idNumber, format: 'svg' })).statusCode,
      400,
      'several answers: name the question'
    )
    t.equal(
      (await caller('POST', url, { idNumber: person.idNumber, format: 'svg', question: 'income.at_least' })).statusCode,
      400,
      'a question not asked'
    )
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
