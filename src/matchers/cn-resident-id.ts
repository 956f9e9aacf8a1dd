/**
 * Normalisation of citizen identity numbers, version `cn-ric-v1` (design §7, research §5.1).
 *
 * GB 11643-1999 (公民身份号码): 6-digit address code, 8-digit birth date, 3-digit sequence code and
 * an ISO 7064 MOD 11-2 check character (0-9 or X for 10). Legacy GB 11643-1989 numbers (15 digits,
 * 2-digit year, no check character) are widened mechanically: insert "19" before the year and compute
 * the check character. The same structure carries the Hong Kong / Macau / Taiwan residence permits
 * (810000 / 820000 / 830000) and the foreign permanent residence card (first digit 9), so the
 * address code is not checked against any list (IDs keep the code they were issued with).
 *
 * Whitelist, not "normalise everything": ASCII digits, full-width digits U+FF10-FF19, x/X/ｘ/Ｘ as the
 * 18th character only, and space/TAB/U+00A0/U+3000 around the number. Anything else is refused,
 * because NFKC would quietly accept look-alikes (①, 𝟎) and never removes zero-width characters.
 *
 * Decisions where the design is silent: internal separators are refused, the 6-8-4 grouping too;
 * only the four whitespace characters above are trimmed (not LF/CR or other Zs); 18-digit years
 * must be 1800 or later; every 15-digit number is widened with "19", including sequence codes
 * 996-999 that the 1989 rule reserved for centenarians (research §5.1 asks for manual handling;
 * that is a connector-level flag, not something this pure function can decide).
 *
 * This runs once per row in million-row loads, so it is one pass over char codes into a reused
 * digit buffer, and returns the input itself when it is already canonical.
 */

export const ID_NORM_VERSION = 'cn-ric-v1'

export type NormResult = { ok: true, value: string } | { ok: false, code: 'INVALID_ID_NUMBER' }

const INVALID: NormResult = Object.freeze({ ok: false, code: 'INVALID_ID_NUMBER' })

/** ISO 7064 MOD 11-2 weights 2^(18-i) mod 11 for positions 1..17. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const
/** Check value (10 = X) indexed by the weighted sum mod 11: '10X98765432'. */
const CHECK_VALUES = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2] as const
const CHECK_CHARS = '10X98765432'
const DIGIT_CHARS = '0123456789X'

const TEN = 10
const CHAR_0 = 0x30
const CHAR_9 = 0x39
const FULL_0 = 0xff10
const FULL_9 = 0xff19
const CHAR_X = 0x58

/** Scratch digits (X = 10) of the number being checked; safe to share because the code is synchronous. */
const digits = new Uint8Array(18)

function isSurroundingSpace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0xa0 || c === 0x3000
}

/** Any spelling of the check character X: x, X, ｘ (U+FF58), Ｘ (U+FF38). */
function isCheckX (c: number): boolean {
  return c === CHAR_X || c === 0x78 || c === 0xff38 || c === 0xff58
}

function daysInMonth (year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
    return leap ? 29 : 28
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

// Seeded with a well-formed value so that no malformed `today` (not even '') can hit the cache.
let cachedToday = '18000101'
let cachedTodayNumber = 18000101

/** `today` as the number YYYYMMDD; a malformed value is a programming error, not bad input. */
function todayNumber (today: string): number {
  if (today === cachedToday) return cachedTodayNumber
  if (typeof today !== 'string' || today.length !== 8) throw new TypeError('today must be a YYYYMMDD string')
  let n = 0
  for (let i = 0; i < 8; i++) {
    const c = today.charCodeAt(i)
    if (c < CHAR_0 || c > CHAR_9) throw new TypeError('today must be a YYYYMMDD string')
    n = n * 10 + (c - CHAR_0)
  }
  cachedToday = today
  cachedTodayNumber = n
  return n
}

/** The calendar date in China Standard Time (UTC+8, no daylight saving) as 'YYYYMMDD'. */
export function todayCst (now: Date = new Date()): string {
  const cst = new Date(now.getTime() + 8 * 3600 * 1000)
  const y = cst.getUTCFullYear()
  const m = cst.getUTCMonth() + 1
  const d = cst.getUTCDate()
  return String(y).padStart(4, '0') + (m < 10 ? '0' : '') + m + (d < 10 ? '0' : '') + d
}

/** Weighted sum of the first 17 scratch digits mod 11 → check value (10 = X). */
function checkValue (): number {
  let sum = 0
  for (let i = 0; i < 17; i++) sum += (digits[i] as number) * (WEIGHTS[i] as number)
  return CHECK_VALUES[sum % 11] as number
}

/** Birth date held in scratch digits 6..13 exists, has century 18/19/20 and is not after today. */
function birthDateOk (today: number): boolean {
  const d = digits
  const year = (d[6] as number) * 1000 + (d[7] as number) * 100 + (d[8] as number) * 10 + (d[9] as number)
  const month = (d[10] as number) * 10 + (d[11] as number)
  const day = (d[12] as number) * 10 + (d[13] as number)
  if (year < 1800 || month < 1 || month > 12 || day < 1) return false
  if (day > daysInMonth(year, month)) return false
  return year * 10000 + month * 100 + day <= today
}

/**
 * Reads `length` characters from `start` into the scratch buffer at `offset`; returns 1 when all
 * were ASCII (canonical), 0 when some were full-width or a lower-case/full-width X, -1 when refused.
 * `xAt` is the input index where an X is allowed (-1 for none).
 */
function readDigits (s: string, start: number, length: number, offset: number, xAt: number): number {
  let canonical = 1
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(start + i)
    if (c >= CHAR_0 && c <= CHAR_9) {
      digits[offset + i] = c - CHAR_0
    } else if (c >= FULL_0 && c <= FULL_9) {
      digits[offset + i] = c - FULL_0
      canonical = 0
    } else if (i === xAt && isCheckX(c)) {
      digits[offset + i] = TEN
      if (c !== CHAR_X) canonical = 0
    } else {
      return -1
    }
  }
  return canonical
}

/** The 18 scratch digits as a string (only on the non-canonical path). */
function digitsToString (): string {
  let out = ''
  for (let i = 0; i < 18; i++) out += DIGIT_CHARS[digits[i] as number]
  return out
}

/**
 * Normalises a submitted identity number to its canonical 18-character form
 * (/^[1-9]\d{16}[\dX]$/). `today` is the current date in China Standard Time ('YYYYMMDD',
 * see `todayCst`); birth dates after it are refused. The refusal carries no trace of the input.
 */
export function normaliseIdNumber (input: unknown, today: string): NormResult {
  const todayN = todayNumber(today)
  if (typeof input !== 'string') return INVALID
  let start = 0
  let end = input.length
  while (start < end && isSurroundingSpace(input.charCodeAt(start))) start++
  while (end > start && isSurroundingSpace(input.charCodeAt(end - 1))) end--
  const length = end - start

  if (length === 18) {
    const canonical = readDigits(input, start, 18, 0, 17)
    if (canonical < 0 || digits[0] === 0 || !birthDateOk(todayN)) return INVALID
    if (checkValue() !== digits[17]) return INVALID
    if (canonical === 0) return { ok: true, value: digitsToString() }
    return { ok: true, value: start === 0 && end === input.length ? input : input.slice(start, end) }
  }

  if (length === 15) {
    // 1989 layout: region(6) YYMMDD(6) sequence(3) → region 19YYMMDD sequence check.
    if (readDigits(input, start, 6, 0, -1) < 0) return INVALID
    if (readDigits(input, start + 6, 9, 8, -1) < 0) return INVALID
    digits[6] = 1
    digits[7] = 9
    if (digits[0] === 0 || !birthDateOk(todayN)) return INVALID
    digits[17] = checkValue()
    return { ok: true, value: digitsToString() }
  }

  return INVALID
}

/**
 * Why a refused identity number is refused, for a load's reject report (never the number itself),
 * and, when only its check character is wrong, the number with the first 17 characters and the
 * right check character: the person the row most likely belongs to, whom the loader marks
 * unreadable rather than unknown (design §14.1). Null for a number `normaliseIdNumber` accepts.
 * Slow and thorough: it runs only for rejected rows.
 */
export function explainIdNumber (input: unknown, today: string): { reason: string, corrected: string | null } | null {
  if (normaliseIdNumber(input, today).ok) return null
  const todayN = todayNumber(today)
  const no = (reason: string): { reason: string, corrected: null } => ({ reason, corrected: null })
  if (typeof input !== 'string') return no('type: an ID number must be text (a JSON string), never a number')
  let start = 0
  let end = input.length
  while (start < end && isSurroundingSpace(input.charCodeAt(start))) start++
  while (end > start && isSurroundingSpace(input.charCodeAt(end - 1))) end--
  const length = end - start
  if (length === 0) return no('empty: the row has no ID number')
  const characters = 'characters: only digits (ASCII or full-width) are allowed, and X as the 18th character; ' +
    'no spaces, hyphens or other characters inside'
  if (length !== 18 && length !== 15) {
    return no(`length: ${length} characters (after trimming spaces); an ID number has 18, or 15 for a legacy number`)
  }
  if (length === 18) {
    if (readDigits(input, start, 18, 0, 17) < 0) return no(characters)
  } else {
    if (readDigits(input, start, 6, 0, -1) < 0 || readDigits(input, start + 6, 9, 8, -1) < 0) return no(characters)
    digits[6] = 1
    digits[7] = 9
  }
  if (digits[0] === 0) return no('region: the first digit cannot be 0')
  const birth = length === 18 ? 'characters 7-14' : 'characters 7-12'
  const d = digits
  const year = (d[6] as number) * 1000 + (d[7] as number) * 100 + (d[8] as number) * 10 + (d[9] as number)
  const month = (d[10] as number) * 10 + (d[11] as number)
  const day = (d[12] as number) * 10 + (d[13] as number)
  if (year < 1800 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return no(`date: the birth date (${birth}) is not a calendar date`)
  }
  if (year * 10000 + month * 100 + day > todayN) return no(`date: the birth date (${birth}) is in the future`)
  if (length === 18 && checkValue() !== digits[17]) {
    digits[17] = checkValue()
    return {
      reason: 'check digit: the 18th character does not match the first 17 ' +
        '(a typing error in one of the 18 characters)',
      corrected: digitsToString()
    }
  }
  return no('not a valid ID number')
}

/** The ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for 17 ASCII digits. */
export function checkDigit (first17: string): string {
  if (typeof first17 !== 'string' || first17.length !== 17) throw new TypeError('checkDigit needs 17 ASCII digits')
  let sum = 0
  for (let i = 0; i < 17; i++) {
    const c = first17.charCodeAt(i)
    if (c < CHAR_0 || c > CHAR_9) throw new TypeError('checkDigit needs 17 ASCII digits')
    sum += (c - CHAR_0) * (WEIGHTS[i] as number)
  }
  return CHECK_CHARS[sum % 11] as string
}

/**
 * Masks an identity number for printing: the first 4 (province and city) and last 4 characters stay,
 * the rest become '*' (4406**********123X). Strings of 8 characters or fewer are masked entirely,
 * since keeping 4 + 4 would reveal all of them.
 */
export function maskIdNumber (id: string): string {
  const n = id.length
  if (n <= 8) return '*'.repeat(n)
  return id.slice(0, 4) + '*'.repeat(n - 8) + id.slice(n - 4)
}
