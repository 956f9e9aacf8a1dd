/**
 * Case numbers as offices write them (design §14.6): 1–128 characters of any script — letters,
 * marks, numbers, punctuation, symbols, ASCII spaces — in NFC; no control, format, private-use or
 * unassigned characters and no other spaces. The case id reaches the audit entry, the receipt and
 * the per-case limit as one spelling (NFC), and an auditor finds it by either spelling.
 */
import t from 'tap'
import { build, ADMIN, AUDITOR, CALLER } from '../helpers/app.ts'
import { UNLIMITED } from '../helpers/registry.ts'
import { loadDemo, DEMO_CLIENT } from '../../src/demo/demo.ts'
import { decodeBase64url } from '../../src/crypto/base64url.ts'

const { database, keyring, as, ask } = await build(t)
const { people } = await loadDemo(database, keyring, 20)
const lifted = await as(ADMIN)('PUT', '/v1/clients/' + DEMO_CLIENT + '/quotas', { quotas: UNLIMITED })
if (lifted.statusCode !== 200) throw new Error(lifted.body)
const idNumber = people[0]!.idNumber

const accepted: Array<[string, string]> = [
  ['a Guangzhou housing case number', '穗住保〔2026〕0001号'],
  ['full-width brackets and digits', '京（2026）第０１２号'],
  ['a Tibetan number', 'ཀ་༢༠༢༦'],
  ['Latin with accents and spaces', 'Café dossier nº 12'],
  ['Arabic', 'ملف ٢٠٢٦'],
  ['symbols', '№ 12 ★ #A-1/2'],
  ['128 CJK characters', '案'.repeat(128)],
  ['128 astral characters (code points, not UTF-16 units)', '𠀀'.repeat(128)],
  ['one character', '1']
]
const refusedIds: Array<[string, string]> = [
  ['empty', ''],
  ['129 characters', '案'.repeat(129)],
  ['a newline', '穗住保\n0001'],
  ['a TAB', '穗住保\t0001'],
  ['an ideographic space', '穗住保\u30000001'],
  ['NBSP', 'A\u00a01'],
  ['a zero-width joiner', '穗\u200d住'],
  ['a bidi override', '\u202e穗住保'],
  ['a byte-order mark', '\ufeff穗住保'],
  ['a private-use character', '穗\ue000'],
  ['an unassigned code point', 'A\u0378'],
  ['a line separator', 'A\u2028B']
]

t.test('accepted case ids are answered and logged as sent (NFC)', async (t) => {
  for (const [what, caseId] of accepted) {
    const res = await ask(CALLER, { idNumber, caseId })
    t.equal(res.statusCode, 200, `${what}: ${res.body}`)
    if (res.statusCode !== 200) continue
    const receipt = res.json().answers[0].receipt as string
    const claims = JSON.parse(Buffer.from(decodeBase64url(receipt.split('.')[1]!)!).toString('utf8'))
    t.equal(claims.case, caseId, `${what}: the receipt names the case`)
  }
})

t.test('refused case ids: 400 naming caseId, nothing logged', async (t) => {
  const count = async (): Promise<number> =>
    Number((await database.query<{ n: string }>('select count(*) as n from audit_entries'))[0]!.n)
  for (const [what, caseId] of refusedIds) {
    const before = await count()
    const res = await ask(CALLER, { idNumber, caseId })
    t.equal(res.statusCode, 400, `${what}: ${res.body}`)
    t.match(res.json(), { code: 'INVALID_BODY', field: '/caseId' }, what)
    t.equal(await count(), before, `${what}: no audit entry`)
  }
})

t.test('two spellings of one case are one case (NFC)', async (t) => {
  const composed = 'Dossier-é-1'
  const decomposed = 'Dossier-e\u0301-1'
  t.not(composed, decomposed)
  t.equal((await ask(CALLER, { idNumber, caseId: decomposed })).statusCode, 200)
  t.equal((await ask(CALLER, { idNumber, caseId: composed })).statusCode, 200)
  const auditor = as(AUDITOR)
  for (const spelling of [composed, decomposed]) {
    const res = await auditor('GET', '/v1/audit/entries?caseId=' + encodeURIComponent(spelling))
    t.equal(res.statusCode, 200, res.body)
    t.equal(res.json().entries.length, 2, 'the auditor finds both requests by either spelling')
    t.ok(res.json().entries.every((e: { caseId: string }) => e.caseId === composed), 'logged in NFC')
  }
  const cases = await database.query<{ case_id: string }>(
    'select distinct case_id from usage_case_subjects where case_id like $1', ['Dossier%'])
  t.same(cases.map((c) => c.case_id), [composed], 'the per-case limit counts one case')
})

t.test('an auditor filters by a Chinese case number', async (t) => {
  const res = await as(AUDITOR)('GET', '/v1/audit/entries?caseId=' + encodeURIComponent('穗住保〔2026〕0001号'))
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.json().entries.length, 1)
})
