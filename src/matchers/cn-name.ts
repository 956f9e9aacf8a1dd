/**
 * Normalisation of personal names, version `cn-name-v1` (design §7, research §5.2).
 *
 * Folds only representational variants, never semantic ones: Unicode NFC (UAX #15, which also turns
 * CJK compatibility ideographs U+F900-FAFF into their canonical unified ideographs), Kangxi radicals
 * U+2F00-2FD5 to the unified ideographs they copy, the middle-dot look-alikes to U+00B7 (the separator
 * of 民委发〔2016〕33号, GB 18030 A1A4), full-width Latin to ASCII, Latin letters to upper case, and
 * whitespace. Simplified/traditional and variant characters (发/發, 哲/喆) are never folded: they
 * are distinct legal names, and a false "yes" is worse than a false "no".
 *
 * Refused outright: non-strings, ill-formed UTF-16, control (Cc, except TAB which is whitespace),
 * format (Cf: bidi controls, zero-width characters, soft hyphen), private-use (Co), surrogate (Cs)
 * and unassigned (Cn) code points, line/paragraph separators, the CJK Radicals Supplement
 * U+2E80-2EFF (radical shapes, not characters; NFKC maps only two of them), the invisible fillers
 * (CGJ, Hangul fillers), emoji (Extended_Pictographic, skin-tone modifiers, regional indicators),
 * and the placeholders legacy systems write for a character they lost (U+FFFD, '?', '？', '〓'):
 * two different rare characters lost the same way would otherwise compare equal.
 *
 * Decisions where the design is silent:
 * - Case: Latin lower/title-case letters take their upper case only when it is one code point
 *   (Unicode simple case mapping), so 'ß', 'ŉ', 'ǰ' and the ligatures ﬀ-ﬆ stay as they are: 'ß' is
 *   not folded into 'SS' ("STRAUß" and "STRAUSS" stay distinct). Other scripts keep their case.
 * - Whitespace: space, TAB and every Zs character; trimmed, runs become one ASCII space, and any
 *   whitespace touching a dot is dropped ("阿依古丽 · 买买提" → "阿依古丽·买买提"). A space between
 *   Han characters is kept as a space, not turned into a dot (research §7, an open question).
 * - Length: at most 64 code points after normalisation (the national rule asks fields to take at
 *   least 50 characters; code points, so an Ext B-J ideograph counts once, not as two UTF-16 units);
 *   inputs over 1024 UTF-16 units are refused before any work, which still allows padded exports.
 * - Variation selectors (including ideographic ones) are combining marks, kept as they are.
 * - The Unicode data is the runtime's (Node 20: Unicode 17); unassigned code points are refused,
 *   so a newer runtime may accept more, never fold differently (normalisation stability policy).
 */

export const NAME_NORM_VERSION = 'cn-name-v1'

export type NameResult = { ok: true, value: string } | { ok: false, code: 'INVALID_NAME' }

const INVALID: NameResult = Object.freeze({ ok: false, code: 'INVALID_NAME' })

/** Names longer than this many code points after normalisation are refused. */
export const NAME_MAX_CODE_POINTS = 64
/** Inputs longer than this (UTF-16 units) are refused before normalising, to bound the work. */
const INPUT_MAX_UNITS = 1024

const MIDDLE_DOT = '\u00b7'

/** Characters a name may never contain, one class per reason. */
// eslint-disable-next-line no-misleading-character-class -- each combining mark listed is refused on its own
const REFUSED = new RegExp('[' + [
  '\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f', // Cc except TAB, which is whitespace
  '\\p{Cf}\\p{Co}\\p{Cs}\\p{Cn}', // format (bidi, zero-width, soft hyphen), private use, surrogate, unassigned
  '\\u2028\\u2029', // line and paragraph separators: line breaks, not name-internal whitespace
  '\\u034f\\u115f\\u1160\\u17b4\\u17b5\\u3164\\uffa0', // the invisible (default-ignorable) non-Cf characters
  '\\u2e80-\\u2eff', // CJK Radicals Supplement: not ideographs, and NFKC maps only two of them
  '\\p{Extended_Pictographic}\\p{Emoji_Modifier}\\p{Regional_Indicator}', // emoji
  '\\ufffd?\\uff1f\\u3013' // placeholders for a character a legacy system lost
].join('') + ']', 'u')

type WellFormed = { isWellFormed (): boolean }

/** `String.prototype.isWellFormed` (ES2024, Node 20) while the project's lib is ES2023. */
function isWellFormed (s: string): boolean {
  return (s as unknown as WellFormed).isWellFormed()
}

const LATIN = /^\p{Script=Latin}$/u

// The middle-dot look-alikes of research §5.2 (U+0387 is already U+00B7 after NFC).
const DOTS = new Set([0x00b7, 0x0387, 0x30fb, 0xff65, 0x2022, 0x2027, 0x2219, 0x22c5, 0x2e31, 0xff0e, 0x2e])

function isDot (c: number): boolean {
  return DOTS.has(c)
}

/** Space, TAB and the Zs characters (U+00A0, U+1680, U+2000-200A, U+202F, U+205F, U+3000). */
function isSpace (c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x202f || c === 0x205f || c === 0x3000
}

/** Upper case of a Latin letter when it is a single code point (simple case mapping), else null. */
function latinUpper (ch: string): string | null {
  if (!LATIN.test(ch)) return null
  const upper = ch.toUpperCase()
  if (upper === ch) return null
  // Multi-code-point upper cases (ß → SS) would fold distinct spellings; keep the letter.
  const cp = upper.codePointAt(0) as number
  return upper.length === (cp > 0xffff ? 2 : 1) ? upper : null
}

/**
 * One code point after the folds. `state.renormalise` is set when a Latin letter was produced, since
 * it may compose with a following combining mark (I + U+0307 → İ) and needs NFC again.
 */
function foldChar (c: number, ch: string, state: { renormalise: boolean }): string {
  if (c < 0x80) {
    if (c < 0x61 || c > 0x7a) return ch
    state.renormalise = true
    return String.fromCharCode(c - 0x20)
  }
  if (c >= 0xff21 && c <= 0xff3a) { state.renormalise = true; return String.fromCharCode(c - 0xff21 + 0x41) }
  if (c >= 0xff41 && c <= 0xff5a) { state.renormalise = true; return String.fromCharCode(c - 0xff41 + 0x41) }
  // Kangxi radicals: their compatibility decomposition is exactly the unified ideograph.
  if (c >= 0x2f00 && c <= 0x2fd5) return ch.normalize('NFKC')
  // No Latin letters live in U+2E80-A71F (CJK) or from U+20000 on: skip the property lookup there.
  if ((c >= 0x2e80 && c < 0xa720) || c >= 0x20000) return ch
  const upper = latinUpper(ch)
  if (upper === null) return ch
  state.renormalise = true
  return upper
}

function codePointCount (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdbff) n++
  }
  return n
}

/**
 * Normalises a personal name for comparison (`cn-name-v1`). Returns the canonical string or the
 * constant refusal; the refusal carries no trace of the input.
 */
export function normaliseName (input: unknown): NameResult {
  if (typeof input !== 'string' || input.length > INPUT_MAX_UNITS) return INVALID
  if (!isWellFormed(input)) return INVALID
  if (REFUSED.test(input)) return INVALID

  const nfc = input.normalize('NFC')
  const state = { renormalise: false }
  let out = ''
  let count = 0
  let pendingSpace = false
  let pendingDot = false
  // Separators are held back and written only before the next ordinary character: that trims
  // both ends, collapses runs, and lets a dot swallow the whitespace around it.
  for (const ch of nfc) {
    const c = ch.codePointAt(0) as number
    if (isSpace(c)) { pendingSpace = true; continue }
    if (isDot(c)) { pendingDot = true; continue }
    if (count > 0 && (pendingDot || pendingSpace)) {
      out += pendingDot ? MIDDLE_DOT : ' '
      count++
    }
    pendingSpace = pendingDot = false
    out += foldChar(c, ch, state)
    count++
  }
  if (count === 0) return INVALID
  if (!state.renormalise) return count > NAME_MAX_CODE_POINTS ? INVALID : { ok: true, value: out }
  const value = out.normalize('NFC')
  return codePointCount(value) > NAME_MAX_CODE_POINTS ? INVALID : { ok: true, value }
}
