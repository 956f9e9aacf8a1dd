/**
 * Why an ID number is refused (explainIdNumber, design §14.1): the reason names the rule broken —
 * length, characters, region, date, check digit — never the number; a check-digit-only failure
 * gives the number with the right check character; and it accepts and refuses exactly what
 * normaliseIdNumber does (it must not change what is accepted).
 */
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { checkDigit, explainIdNumber, normaliseIdNumber } from '../../src/matchers/cn-resident-id.ts'

const TODAY = '20250615'
const VALID = '11010519491231002X'
const first17 = VALID.slice(0, 17)
const wrongCheck = first17 + (checkDigit(first17) === '0' ? '1' : '0')
const withCheck = (s17: string): string => s17 + checkDigit(s17)

t.test('each rule broken gets its own reason; none repeats the number', async (t) => {
  const cases: Array<[unknown, RegExp, string | null]> = [
    [VALID, /^$/, null], // accepted: no reason
    [Number('110105194912310021'), /^type:/, null],
    [null, /^type:/, null],
    ['', /^empty:/, null],
    ['\u3000 ', /^empty:/, null],
    ['11010519491231002', /^length: 17 characters/, null],
    ['11010519491231002XX', /^length: 19 characters/, null],
    ['1101051949123', /^length: 13 characters/, null],
    ['110105-19491231-002X', /^length: 20/, null],
    ['110105 1949123102X', /^characters:/, null],
    ['11010519491231002Y', /^characters:/, null],
    ['X10105194912310020', /^characters:/, null],
    ['11010519491231\u200b02X'.slice(0, 18), /^characters:/, null],
    ['11010549123100Y', /^characters:/, null], // 15 digits: no X anywhere
    [withCheck('01010519491231002'), /^region:/, null],
    [withCheck('11010519490230002'), /^date: .*characters 7-14.* not a calendar date/, null],
    [withCheck('11010519491331002'), /^date:/, null],
    [withCheck('11010517991231002'), /^date:/, null], // before 1800
    [withCheck('11010520991231002'), /^date: .* in the future/, null],
    ['110105490230002', /^date: .*characters 7-12/, null], // 15 digits, 30 February 1949
    [wrongCheck, /^check digit:/, VALID],
    [' ' + wrongCheck.toLowerCase() + '\u3000', /^check digit:/, VALID],
    [wrongCheck.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))), /^check digit:/, VALID] // full-width
  ]
  for (const [input, reason, corrected] of cases) {
    const got = explainIdNumber(input, TODAY)
    if (normaliseIdNumber(input, TODAY).ok) { t.equal(got, null, String(input) + ' is accepted'); continue }
    t.match(got?.reason, reason, String(input))
    t.equal(got?.corrected ?? null, corrected, String(input) + ': corrected')
    if (typeof input === 'string' && input.trim().length >= 6) {
      t.notOk(got!.reason.includes(input.trim()), 'the reason does not repeat the input')
    }
  }
})

t.test('a check-digit-only failure names the same first 17 characters with the right check character', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 9 }), (n, d) => {
    const monthDay = String(101 + (n % 12) * 100 + 1 + (n % 28)).padStart(4, '0').slice(-4)
    const s17 = '3201021980' + monthDay + String(n % 1000).padStart(3, '0')
    const ok = normaliseIdNumber(withCheck(s17), TODAY)
    if (!ok.ok) return true
    const typo = s17 + String(d)
    if (typo === withCheck(s17)) return explainIdNumber(typo, TODAY) === null
    const got = explainIdNumber(typo, TODAY)
    return got !== null && got.corrected === withCheck(s17) && got.reason.startsWith('check digit')
  }), { numRuns: 3000 })
  t.pass('3,000 typos of the check character')
})

t.test('explainIdNumber refuses exactly what normaliseIdNumber refuses', async (t) => {
  const file = new URL('../fixtures/normalisation/ids.json', import.meta.url)
  const vectors = JSON.parse(readFileSync(file, 'utf8')) as Array<{ input: unknown }>
  for (const v of vectors) {
    t.equal(explainIdNumber(v.input, TODAY) === null, normaliseIdNumber(v.input, TODAY).ok, JSON.stringify(v.input))
  }
  const chars = fc.constantFrom('0', '1', '2', '9', 'X', 'x', '０', '９', 'Ｘ', ' ', '\u3000', '-', 'a')
  const strings = fc.array(chars, { minLength: 13, maxLength: 20 })
  fc.assert(fc.property(strings, fc.integer({ min: 0, max: 17 }), (cs, at) => {
    // Mutations of a valid number: one character replaced, or random strings of digits-like characters.
    const mutated = VALID.slice(0, at) + cs[0] + VALID.slice(at + 1)
    const random = cs.join('')
    return [mutated, random].every((s) => (explainIdNumber(s, TODAY) === null) === normaliseIdNumber(s, TODAY).ok)
  }), { numRuns: 5000 })
  t.pass('5,000 mutations and random strings')
})
