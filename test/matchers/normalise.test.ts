/**
 * Normalisation `cn-ric-v1` and `cn-name-v1` (design §7, research §4.3 I1-I3, I7, I8 and §5):
 * golden vectors from test/fixtures/normalisation, then fast-check properties.
 */
import t from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import {
  ID_NORM_VERSION, checkDigit, maskIdNumber, normaliseIdNumber, todayCst
} from '../../src/matchers/cn-resident-id.ts'
import { NAME_NORM_VERSION, normaliseName } from '../../src/matchers/cn-name.ts'

type Vector = { input: unknown, want: string | null, why: string }

/** The vectors' future-date cases are written against this date. */
const TODAY = '20250615'
const NUM_RUNS = 2000
const ID_GRAMMAR = /^[1-9]\d{16}[\dX]$/
const INVALID_ID = { ok: false, code: 'INVALID_ID_NUMBER' }
const INVALID_NAME = { ok: false, code: 'INVALID_NAME' }

function loadVectors (file: string): Vector[] {
  const url = new URL(`../fixtures/normalisation/${file}`, import.meta.url)
  return JSON.parse(readFileSync(url, 'utf8')) as Vector[]
}

/** MOD 11-2 written from its definition (weights 2^(17-i) mod 11), independent of the module's table. */
function refCheck (first17: string): string {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11)
  const v = (12 - (sum % 11)) % 11
  return v === 10 ? 'X' : String(v)
}

function ymd (d: Date): string {
  return d.toISOString().slice(0, 10).replaceAll('-', '')
}

const normId = (input: unknown) => normaliseIdNumber(input, TODAY)

/** Runs a property (fast-check throws with the counterexample) and records it as an assertion. */
function holds<Ts extends [unknown, ...unknown[]]> (
  t: { pass (message: string): void }, prop: fc.IRawProperty<Ts>
): void {
  fc.assert(prop, { numRuns: NUM_RUNS })
  t.pass(`property held for ${NUM_RUNS} runs`)
}

// ---------------------------------------------------------------------------------------------
// Golden vectors

t.test('versions', async (t) => {
  t.equal(ID_NORM_VERSION, 'cn-ric-v1')
  t.equal(NAME_NORM_VERSION, 'cn-name-v1')
})

t.test('ID golden vectors', async (t) => {
  const vectors = loadVectors('ids.json')
  t.ok(vectors.length >= 100, `${vectors.length} ID vectors`)
  t.ok(vectors.filter((v) => v.want !== null).length >= 60, 'at least 60 accepted ID vectors')
  vectors.forEach((v, i) => {
    const want = v.want === null ? INVALID_ID : { ok: true, value: v.want }
    if (v.want !== null) t.match(v.want, ID_GRAMMAR, `#${i} want is canonical: ${v.why}`)
    t.strictSame(normId(v.input), want, `#${i} ${v.why}`)
  })
})

t.test('name golden vectors', async (t) => {
  const vectors = loadVectors('names.json')
  t.ok(vectors.length >= 100, `${vectors.length} name vectors`)
  t.ok(vectors.filter((v) => v.want !== null).length >= 60, 'at least 60 accepted name vectors')
  vectors.forEach((v, i) => {
    const want = v.want === null ? INVALID_NAME : { ok: true, value: v.want }
    t.strictSame(normaliseName(v.input), want, `#${i} ${v.why}`)
  })
})

// ---------------------------------------------------------------------------------------------
// ID number: arbitraries

const digit = fc.integer({ min: 0, max: 9 }).map(String)
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((a) => a.join(''))
const utc = (yyyymmdd: string) =>
  new Date(`${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}T00:00:00Z`)
const birthDate = fc.date({ min: utc('18000101'), max: utc(TODAY), noInvalidDate: true }).map(ymd)

/** A valid canonical 18-character number: region [1-9]\d{5}, a real birth date, sequence, check. */
const validId = fc.tuple(fc.integer({ min: 1, max: 9 }), digits(5), birthDate, digits(3))
  .map(([first, region, date, seq]) => {
    const body = `${first}${region}${date}${seq}`
    return body + refCheck(body)
  })

const SPACES = [' ', '\t', '\u00a0', '\u3000']
const surround = fc.array(fc.constantFrom(...SPACES), { maxLength: 4 }).map((a) => a.join(''))

/** Each digit ASCII or full-width at random, X as any of x X ｘ Ｘ. */
function decorateChars (id: string, fullWidth: boolean[], xForm: string): string {
  let out = ''
  for (let i = 0; i < id.length; i++) {
    const ch = id[i] as string
    if (ch === 'X') out += xForm
    else out += fullWidth[i] === true ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch
  }
  return out
}

const decoration = fc.record({
  fullWidth: fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
  xForm: fc.constantFrom('X', 'x', '\uff38', '\uff58'),
  before: surround,
  after: surround
})

// ---------------------------------------------------------------------------------------------
// ID number: properties

t.test('checkDigit agrees with MOD 11-2 from its definition', async (t) => {
  holds(t, fc.property(digits(17), (body) => checkDigit(body) === refCheck(body)))
  t.equal(checkDigit('11010519491231002'), 'X')
  t.equal(checkDigit('44052418800101001'), '4')
  t.throws(() => checkDigit('1101051949123100'), TypeError)
  t.throws(() => checkDigit('1101051949123100X'), TypeError)
})

t.test('I1: every decoration of a valid ID normalises to it', async (t) => {
  holds(t, fc.property(validId, decoration, (id, d) => {
    const input = d.before + decorateChars(id, d.fullWidth, d.xForm) + d.after
    const r = normId(input)
    return r.ok && r.value === id
  }))
})

t.test('I1: the 15-digit form of a 19xx ID widens back to it', async (t) => {
  const id19 = validId.filter((id) => id.slice(6, 8) === '19')
  holds(t, fc.property(id19, decoration, (id, d) => {
    const legacy = id.slice(0, 6) + id.slice(8, 17)
    const r = normId(d.before + decorateChars(legacy, d.fullWidth, d.xForm) + d.after)
    return r.ok && r.value === id
  }))
})

t.test('I2: a wrong check character is refused', async (t) => {
  holds(t, fc.property(validId, fc.constantFrom(...'0123456789X'), (id, c) => {
    fc.pre(c !== id[17])
    return normId(id.slice(0, 17) + c).ok === false
  }))
})

t.test('I2: any foreign character inserted anywhere is refused', async (t) => {
  const foreign = fc.constantFrom(
    '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', ' ', '-', '\u3000', '\u0661', '\u0967', '\u2460',
    '\u{1d7ce}', '\uff0d', '\u0000', '\ud800', 'X'
  )
  holds(t, fc.property(validId, foreign, fc.integer({ min: 1, max: 17 }), (id, ch, at) => {
    return normId(id.slice(0, at) + ch + id.slice(at)).ok === false
  }))
})

t.test('I2: a digit replaced by another script\'s digit is refused', async (t) => {
  const bases = [0x0660, 0x06f0, 0x0966, 0x09e6, 0x0e50, 0x1d7ce, 0x1d7d8, 0x2080]
  holds(t, fc.property(validId, fc.constantFrom(...bases), fc.integer({ min: 0, max: 16 }), (id, base, at) => {
    const look = String.fromCodePoint(base + Number(id[at]))
    return normId(id.slice(0, at) + look + id.slice(at + 1)).ok === false
  }))
})

t.test('birth dates: accepted exactly when the date exists, is from 1800 on and not after today', async (t) => {
  holds(t, fc.property(fc.integer({ min: 1, max: 9 }), digits(5), digits(8), digits(3), (first, region, date, seq) => {
    const body = `${first}${region}${date}${seq}`
    const y = Number(date.slice(0, 4))
    const m = Number(date.slice(4, 6))
    const d = Number(date.slice(6))
    const asDate = new Date(Date.UTC(2000, m - 1, d))
    asDate.setUTCFullYear(y)
    const exists = m >= 1 && m <= 12 && d >= 1 && asDate.getUTCMonth() === m - 1 && asDate.getUTCDate() === d
    const expected = exists && y >= 1800 && date <= TODAY
    return normId(body + refCheck(body)).ok === expected
  }))
  // Random 8 digits rarely hit a real date, so also walk real dates around the boundaries.
  const around = fc.date({ min: utc('17900101'), max: utc('20301231'), noInvalidDate: true })
  holds(t, fc.property(around, (d) => {
    const date = ymd(d)
    const body = `110105${date}123`
    return normId(body + refCheck(body)).ok === (date >= '18000101' && date <= TODAY)
  }))
})

t.test('I3/I8: arbitrary strings never throw; accepted output is canonical and idempotent', async (t) => {
  const idChar = fc.constantFrom(...'0123456789xX \t\u3000\u00a0\uff10\uff11\uff19\uff38\uff58-')
  const idish = fc.array(idChar, { maxLength: 22 }).map((a) => a.join(''))
  for (const arb of [fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), idish, validId]) {
    holds(t, fc.property(arb, (s) => {
      const r = normId(s)
      if (!r.ok) return r.code === 'INVALID_ID_NUMBER' && Object.keys(r).length === 2
      if (!ID_GRAMMAR.test(r.value)) return false
      const again = normId(r.value)
      return again.ok && again.value === r.value
    }))
  }
})

t.test('I4: non-strings are refused without coercion', async (t) => {
  holds(t, fc.property(fc.anything().filter((v) => typeof v !== 'string'), (v) => {
    const r = normId(v)
    return !r.ok && r.code === 'INVALID_ID_NUMBER'
  }))
  // eslint-disable-next-line no-loss-of-precision -- the point: an ID sent as a JSON number has lost digits
  t.strictSame(normId(110105194912310021), INVALID_ID, 'JSON number')
  t.strictSame(normId(new String('11010519491231002X')), INVALID_ID, 'String object')
})

t.test('today: CST calendar date, and malformed values are programming errors', async (t) => {
  t.equal(todayCst(new Date('2025-06-14T15:59:59.999Z')), '20250614', 'just before midnight CST')
  t.equal(todayCst(new Date('2025-06-14T16:00:00.000Z')), '20250615', 'midnight CST is 16:00 UTC')
  t.equal(todayCst(new Date('2024-12-31T16:00:00Z')), '20250101', 'new year in CST while UTC is still in the old year')
  t.match(todayCst(), /^\d{8}$/)
  t.throws(() => normaliseIdNumber('11010519491231002X', '2025-06-15'), TypeError)
  t.throws(() => normaliseIdNumber('11010519491231002X', '2025061'), TypeError)
  t.throws(() => normaliseIdNumber('11010519491231002X', ''), TypeError)
  t.throws(() => normaliseIdNumber('11010519491231002X', '２０２５０６１５'), TypeError)
  t.throws(() => normaliseIdNumber('11010519491231002X', undefined as unknown as string), TypeError)
  const body = '110105' + '20991231' + '002'
  t.notOk(normaliseIdNumber(body + refCheck(body), todayCst()).ok, 'a 2099 birth date is refused by the real clock')
  const born = '11010520250616002'
  t.notOk(normaliseIdNumber(born + refCheck(born), '20250615').ok, 'born tomorrow')
  t.ok(normaliseIdNumber(born + refCheck(born), '20250616').ok, 'the same number is fine a day later')
})

t.test('refusals never carry the input', async (t) => {
  const r = normId('110105 19491231 002X')
  t.strictSame(r, INVALID_ID)
  t.notMatch(JSON.stringify(r), /110105/)
})

t.test('maskIdNumber keeps the first and last four', async (t) => {
  t.equal(maskIdNumber('44068219900101123X'), '4406**********123X')
  t.equal(maskIdNumber('11010519491231002X'), '1101**********002X')
  t.equal(maskIdNumber('12345678'), '********', 'eight or fewer characters: all masked')
  t.equal(maskIdNumber(''), '')
  holds(t, fc.property(validId, (id) => {
    const m = maskIdNumber(id)
    return m.length === 18 && m.slice(0, 4) === id.slice(0, 4) && m.slice(14) === id.slice(14) &&
      m.slice(4, 14) === '**********'
  }))
})

// ---------------------------------------------------------------------------------------------
// Names

const DOT = '\u00b7'
const DOT_LOOKALIKES = [
  '\u00b7', '\u0387', '\u30fb', '\uff65', '\u2022', '\u2027', '\u2219', '\u22c5', '\u2e31', '\uff0e', '.'
]
const NAME_SPACES = [' ', '\t', '\u00a0', '\u3000', '\u2003', '\u202f']

/** What no normalised name may contain. */
const FORBIDDEN_OUT = new RegExp('[' + [
  '\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}\\p{Cn}', // controls, format, private use, surrogates, unassigned
  '\\u2e80-\\u2eff\\u2f00-\\u2fd5', // radicals (Supplement refused, Kangxi mapped)
  '\\uff21-\\uff3a\\uff41-\\uff5aa-z', // full-width Latin, lower-case ASCII
  '\\u0387\\u30fb\\uff65\\u2022\\u2027\\u2219\\u22c5\\u2e31\\uff0e.' // dots other than U+00B7
].join('') + ']', 'u')

function nameOutputProblems (v: string): string | null {
  if (v.length === 0) return 'empty'
  if (FORBIDDEN_OUT.test(v)) return 'forbidden character'
  if (/^[ \u00b7]|[ \u00b7]$/.test(v)) return 'separator at an end'
  if (/[ \u00b7]{2}/.test(v)) return 'separator run'
  if (/[^\S ]|\p{Zs}/u.test(v.replaceAll(' ', ''))) return 'whitespace other than one ASCII space'
  if (v.normalize('NFC') !== v) return 'not NFC'
  if ([...v].length > 64) return 'too long'
  return null
}

/** Characters that exercise every fold, mixed with ordinary Han, Latin and combining marks. */
const nameChar = fc.constantFrom(
  ...DOT_LOOKALIKES, ...NAME_SPACES,
  '张', '三', '喆', '發', '\u{20000}', '\u{2cc56}', '\u2f08', '\u2fd5', '\uf900', '\ufa11', '\u{2f800}', // Han
  'a', 'z', 'A', 'i', 'e', '\u0131', '\u00df', '\u1e9e', '\u01c5', '\u00ff', '\ufb01', '\uff41', '\uff3a', // Latin
  '\u0301', '\u0307', '\u0323', '\u0316', '\ufe00', '\u{e0100}', // combining marks, variation selectors
  '\u0418', '\u0432', '-', '\''
)
const nameish = fc.array(nameChar, { maxLength: 24 }).map((a) => a.join(''))

t.test('names: arbitrary strings never throw; output is clean, short and idempotent', async (t) => {
  for (const arb of [fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), nameish]) {
    holds(t, fc.property(arb, (s) => {
      const r = normaliseName(s)
      if (!r.ok) return r.code === 'INVALID_NAME' && Object.keys(r).length === 2
      const problem = nameOutputProblems(r.value)
      if (problem !== null) throw new Error(`output ${JSON.stringify(r.value)}: ${problem}`)
      const again = normaliseName(r.value)
      return again.ok && again.value === r.value
    }))
  }
})

t.test('names: refused characters anywhere make the name invalid', async (t) => {
  const refused = fc.constantFrom(
    '\u0000', '\n', '\u007f', '\u0085', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u202a', '\u202e',
    '\u2066', '\u2069', '\u200e', '\ue000', '\u{f0000}', '\ud800', '\udfff', '\u2e80', '\u2ef3', '\u{1f600}', '\ufffd',
    '?'
  )
  holds(t, fc.property(nameish, refused, fc.nat(), (s, bad, at) => {
    const cut = s.length === 0 ? 0 : at % (s.length + 1)
    // Cutting between a surrogate pair would itself make the string ill-formed: still refused.
    return normaliseName(s.slice(0, cut) + bad + s.slice(cut)).ok === false
  }))
})

t.test('names: any dot look-alike with any whitespace around it gives the U+00B7 form', async (t) => {
  const han = fc.array(fc.constantFrom('阿', '依', '古', '丽', '买', '提', '\u{20000}', '喆'), { minLength: 1, maxLength: 6 })
    .map((a) => a.join(''))
  const gap = fc.array(fc.constantFrom(...NAME_SPACES), { maxLength: 3 }).map((a) => a.join(''))
  const sep = fc.tuple(gap, fc.array(fc.constantFrom(...DOT_LOOKALIKES), { minLength: 1, maxLength: 3 }), gap)
    .map(([a, dots, b]) => a + dots.join('') + b)
  const partsArb = fc.array(han, { minLength: 1, maxLength: 4 })
  const sepsArb = fc.array(sep, { minLength: 3, maxLength: 3 })
  holds(t, fc.property(partsArb, sepsArb, gap, gap, (parts, seps, before, after) => {
    const clean = parts.join(DOT)
    const messy = before + parts.map((p, i) => (i === 0 ? '' : seps[i - 1] as string) + p).join('') + after
    const r = normaliseName(messy)
    return r.ok && r.value === clean
  }))
})

t.test('names: variants are never folded', async (t) => {
  const pairs = [['喆', '哲'], ['發', '发'], ['髮', '发'], ['後', '后'], ['堃', '坤'], ['張', '张'], ['淼', '水']]
  for (const [a, b] of pairs) {
    const ra = normaliseName(`王${a}`)
    const rb = normaliseName(`王${b}`)
    t.ok(ra.ok && rb.ok && ra.value !== rb.value, `${a} and ${b} stay distinct`)
  }
})

t.test('names: input and output bounds', async (t) => {
  t.strictSame(normaliseName('张三' + ' '.repeat(1000)), { ok: true, value: '张三' }, 'padding within 1024 units')
  t.strictSame(normaliseName('张三' + ' '.repeat(1023)), INVALID_NAME, 'more than 1024 UTF-16 units refused before work')
  t.strictSame(normaliseName('i\u0307'.repeat(64)), { ok: true, value: '\u0130'.repeat(64) },
    'the limit counts code points after the final NFC (128 before, 64 after)')
  t.strictSame(normaliseName(new String('张三')), INVALID_NAME, 'String object refused')
})
