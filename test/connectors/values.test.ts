/**
 * Values as offices write them (design §14.1 "Values", src/connectors/values.ts): trimming for
 * every type, quoted or not (the CSV reader has removed the quotes by now) and in NDJSON strings;
 * the date forms and booleans; every refusal's reason names what is accepted and is one of a fixed
 * set (so it can never carry the value). Table-driven: one row per rule and per edge.
 */
import t from 'tap'
import fc from 'fast-check'
import {
  parseCsvCell, parseDate, parseJsonValue, REASONS, trimCell, type CellResult
} from '../../src/connectors/values.ts'
import type { FieldType } from '../../src/matchers/predicate/index.ts'

const WS = [' ', '\t', '\u00a0', '\u3000']
const REASON_SET = new Set<string>(Object.values(REASONS))

const value = (r: CellResult): unknown => r.ok ? r.value : 'REFUSED:' + r.code

t.test('trimCell removes exactly space, TAB, U+00A0 and U+3000 around the text', async (t) => {
  const cases: Array<[string, string]> = [
    ['已婚', '已婚'],
    [' 已婚', '已婚'],
    ['已婚 ', '已婚'],
    ['\t已婚\t', '已婚'],
    ['\u00a0已婚\u00a0', '已婚'],
    ['\u3000已婚\u3000', '已婚'],
    [' \t\u00a0\u3000已婚\u3000\u00a0\t ', '已婚'],
    ['已 婚', '已 婚'], // inside: kept
    ['\n已婚\n', '\n已婚\n'], // a line break is data, not padding
    ['\u2003已婚', '\u2003已婚'], // other spaces are not in the list
    ['   ', ''],
    ['', '']
  ]
  for (const [input, want] of cases) t.equal(trimCell(input), want, JSON.stringify(input))
})

t.test('every type is trimmed, on either side, with each of the four characters, in CSV and NDJSON', async (t) => {
  const cases: Array<[FieldType, string, unknown]> = [
    ['string', '已婚', '已婚'],
    ['hashed', 'K-0', 'K-0'],
    ['integer', '42', 42],
    ['number', '-1.5', -1.5],
    ['boolean', '是', true],
    ['date', '2024/3/5', '2024-03-05'],
    ['name', '张三', '张三']
  ]
  let n = 0
  for (const [type, text, want] of cases) {
    for (const w of WS) {
      for (const padded of [w + text, text + w, w + w + text + w]) {
        t.same(value(parseCsvCell(type, padded)), want, `${type} ${JSON.stringify(padded)}`)
        if (type === 'string' || type === 'hashed' || type === 'date' || type === 'name') {
          t.same(value(parseJsonValue(type, padded)), want, `NDJSON ${type} ${JSON.stringify(padded)}`)
        }
        n++
      }
    }
  }
  t.equal(n, cases.length * 12)
})

t.test('a value of only whitespace is empty (null), like an empty cell', async (t) => {
  for (const type of ['string', 'hashed', 'integer', 'number', 'boolean', 'date', 'name'] as FieldType[]) {
    for (const cell of ['', ' ', '\t', '\u00a0', '\u3000', ' \u3000\t ']) {
      t.equal(value(parseCsvCell(type, cell)), null, `${type} ${JSON.stringify(cell)}`)
    }
    // NDJSON keeps JSON types: only text fields read a string, and a blank one is empty.
    const text = type === 'string' || type === 'hashed' || type === 'date' || type === 'name'
    t.equal(value(parseJsonValue(type, '\u3000')), text ? null : 'REFUSED:INVALID_VALUE', `NDJSON ${type}`)
  }
})

t.test('dates: every form of §14.1, with or without a time', async (t) => {
  const cases: Array<[string, string]> = [
    ['2024-03-05', '2024-03-05'],
    ['2024-3-5', '2024-03-05'],
    ['2024-03-5', '2024-03-05'],
    ['2024/3/5', '2024-03-05'],
    ['2024/03/05', '2024-03-05'],
    ['2024.3.5', '2024-03-05'],
    ['2024.12.31', '2024-12-31'],
    ['20240305', '2024-03-05'],
    ['2024年3月5日', '2024-03-05'],
    ['2024年03月05日', '2024-03-05'],
    // a time after the date is ignored: Excel's and databases' ways
    ['2024/3/5 0:00', '2024-03-05'],
    ['2024/3/5 23:59', '2024-03-05'],
    ['2024-03-05 00:00:00', '2024-03-05'],
    ['2024-03-05 00:00:00.000', '2024-03-05'],
    ['2024-3-5 9:30:15', '2024-03-05'],
    ['20240305 12:00', '2024-03-05'],
    ['2024年3月5日 8:00', '2024-03-05'],
    ['2024.3.5  8:00', '2024-03-05'],
    ['2024-03-05T00:00', '2024-03-05'],
    ['2024-03-05T23:59:59', '2024-03-05'],
    ['2024-03-05T12:00:00.123456', '2024-03-05'],
    // an ISO instant with a zone: its calendar date in China Standard Time
    ['2024-03-05T00:00:00Z', '2024-03-05'],
    ['2024-03-04T16:00:00.000Z', '2024-03-05'], // CST midnight written in UTC
    ['2024-03-05T15:59:59Z', '2024-03-05'],
    ['2024-03-05T16:00:00Z', '2024-03-06'],
    ['2024-03-05T00:00:00+08:00', '2024-03-05'],
    ['2024-03-05T23:00:00+0800', '2024-03-05'],
    ['2024-03-05T23:00:00-05:00', '2024-03-06'],
    ['2024-12-31T20:00:00Z', '2025-01-01'],
    // calendar edges
    ['2024-02-29', '2024-02-29'],
    ['2000-02-29', '2000-02-29'],
    ['2024/2/29', '2024-02-29'],
    ['0001-01-01', '0001-01-01'],
    ['9999-12-31', '9999-12-31']
  ]
  for (const [input, want] of cases) t.same(parseDate(input), { ok: true, value: want }, input)
})

t.test('dates: anything else is refused, with a reason that names the accepted forms', async (t) => {
  const noSuchDay = ['2023-02-29', '1900-02-29', '2024-02-30', '2024-04-31', '2024-13-01', '2024-00-10', '2024-01-00',
    '2024/2/30', '2024.13.1', '20240230', '20241301', '2024年2月30日', '0000-01-01']
  const notADate = ['2024-3/5', '2024/03-05', '24/3/5', '3/5/2024', '05.03.2024', '2024-003-05', '2024-03-05-',
    '2024年3月5',
    '2024年3月5号', '2024 3 5', '45356', '2024030', '202403051', '２０２４-03-05', 'soon', '2024-03-05T', '2024-03-05 00',
    '2024-03-05 0:0', '2024-03-05 00:00:00 +08:00', '2024-03-05T0:00', '2024-03-05 T00:00']
  const badTime = ['2024-03-05 24:00', '2024-03-05 12:60', '2024-03-05 12:00:60', '2024-03-05T25:00',
    '2024-03-05T12:00:00+15:00']
  const refused = (reason: string): CellResult => ({ ok: false, code: 'INVALID_VALUE', reason })
  for (const input of noSuchDay) t.same(parseDate(input), refused(REASONS.noSuchDate), input)
  for (const input of notADate) t.same(parseDate(input), refused(REASONS.date), input)
  for (const input of badTime) t.same(parseDate(input), refused(REASONS.badTime), input)
  for (const form of ['YYYY-MM-DD', 'YYYY-M-D', 'YYYY/M/D', 'YYYY.M.D', 'YYYYMMDD', 'YYYY年M月D日']) {
    t.ok(REASONS.date.includes(form) && REASONS.noSuchDate.includes(form), 'the reasons name ' + form)
  }
  const r = parseCsvCell('date', ' 2024/2/30 ')
  t.same(r, { ok: false, code: 'INVALID_VALUE', reason: REASONS.noSuchDate }, 'a cell: trimmed, then refused')
  t.same(parseJsonValue('date', 20240305), refused(REASONS.jsonString), 'NDJSON: a number is not a date')
})

t.test('booleans: true/false, 1/0, 是/否, Y/N in any case', async (t) => {
  const cases: Array<[string, boolean | null]> = [
    ['true', true], ['TRUE', true], ['True', true], ['tRuE', true], ['1', true], ['是', true], ['y', true], ['Y', true],
    ['false', false], ['FALSE', false], ['False', false], ['0', false], ['否', false], ['n', false], ['N', false],
    ['yes', null], ['no', null], ['t', null], ['f', null], ['2', null], ['-1', null], ['01', null], ['1.0', null],
    ['是的', null], ['对', null], ['√', null], ['Ｙ', null], ['on', null], ['truee', null]
  ]
  for (const [input, want] of cases) {
    const r = parseCsvCell('boolean', input)
    if (want === null) t.same(r, { ok: false, code: 'INVALID_VALUE', reason: REASONS.boolean }, input)
    else t.same(r, { ok: true, value: want }, input)
  }
  t.match(REASONS.boolean, /true\/false, 1\/0, 是\/否 or Y\/N/)
  t.same(parseJsonValue('boolean', true), { ok: true, value: true }, 'NDJSON keeps JSON booleans')
  t.same(parseJsonValue('boolean', '是'), { ok: false, code: 'INVALID_VALUE', reason: REASONS.jsonBoolean },
    'NDJSON types are not coerced')
})

t.test('integers and numbers', async (t) => {
  const cases: Array<[FieldType, string, unknown]> = [
    ['integer', '0', 0], ['integer', '-7', -7], ['integer', '9007199254740991', 9007199254740991],
    ['integer', '9007199254740992', 'REFUSED:INVALID_VALUE'], ['integer', '1.5', 'REFUSED:INVALID_VALUE'],
    ['integer', '1,000', 'REFUSED:INVALID_VALUE'], ['integer', '+1', 'REFUSED:INVALID_VALUE'],
    ['integer', '007', 'REFUSED:INVALID_VALUE'],
    ['integer', '1 000', 'REFUSED:INVALID_VALUE'], ['integer', '１２', 'REFUSED:INVALID_VALUE'],
    ['number', '12.50', 12.5], ['number', '-0.5', -0.5], ['number', '1e3', 1000], ['number', '1E-2', 0.01],
    ['number', '1.2.3', 'REFUSED:INVALID_VALUE'], ['number', '.5', 'REFUSED:INVALID_VALUE'],
    ['number', '1,234.5', 'REFUSED:INVALID_VALUE'],
    ['number', '1e999', 'REFUSED:INVALID_VALUE'], ['number', 'NaN', 'REFUSED:INVALID_VALUE']
  ]
  for (const [type, input, want] of cases) t.same(value(parseCsvCell(type, input)), want, `${type} ${input}`)
})

t.test('strings: NFC, internal spaces and line breaks kept; too long or unstorable refused', async (t) => {
  t.same(parseCsvCell('string', 'e\u0301'), { ok: true, value: '\u00e9' }, 'NFC')
  t.same(parseCsvCell('string', ' 北京市 朝阳区 '), { ok: true, value: '北京市 朝阳区' })
  t.same(parseCsvCell('string', 'a\nb'), { ok: true, value: 'a\nb' })
  t.same(parseCsvCell('string', 'x'.repeat(1025)), { ok: false, code: 'INVALID_VALUE', reason: REASONS.tooLong })
  t.same(parseCsvCell('string', 'a\u0000b'), { ok: false, code: 'INVALID_VALUE', reason: REASONS.badText })
  t.same(parseCsvCell('string', 'a\ud800b'), { ok: false, code: 'INVALID_VALUE', reason: REASONS.badText })
  t.same(parseCsvCell('name', '张\u202e三'), { ok: false, code: 'INVALID_NAME', reason: REASONS.name })
})

t.test('a refusal\'s reason is always one of the fixed reasons: it never carries the value', async (t) => {
  const types: FieldType[] = ['string', 'hashed', 'integer', 'number', 'boolean', 'date', 'name']
  fc.assert(fc.property(fc.constantFrom(...types), fc.string({ maxLength: 40 }), (type, text) => {
    const r = parseCsvCell(type, text)
    return r.ok || REASON_SET.has(r.reason)
  }), { numRuns: 3000 })
  fc.assert(fc.property(fc.constantFrom(...types), fc.anything(), (type, v) => {
    const r = parseJsonValue(type, v)
    return r.ok || REASON_SET.has(r.reason)
  }), { numRuns: 3000 })
  t.pass('6,000 random values')
})
