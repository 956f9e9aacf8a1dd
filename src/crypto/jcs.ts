/** RFC 8785 JSON Canonicalization Scheme: the bytes that audit leaves, receipts and consents sign. */

/**
 * RFC 8785 (JCS) serialisation of JSON data: object members sorted by the UTF-16 code units of
 * their names (§3.2.3, which is JavaScript's default string order), no whitespace, strings and
 * numbers as ECMAScript's JSON.stringify writes them (§3.2.2). Undefined members are left out;
 * non-finite numbers, and anything that is not JSON data, are refused.
 *
 * An entry read back from its canonical bytes (what `shifou audit verify` serialises again, once
 * an entry) enumerates its members in that order, as do a receipt's header and its claims (built in
 * that order: src/receipts/receipt.ts): JSON.stringify then writes exactly these bytes, and checking
 * the order first costs a fraction of writing the string member by member (2.3 against 5.2 µs an
 * entry). Anything else, entries as the writer makes them among them, takes the member-by-member
 * path after a check that stops at the first member out of order (building an entry in order by a
 * loop over its member names measured slower than sorting it: 7.3 against 4.4 µs an entry with its
 * bytes; an object literal in order was not measured apart from a busy machine).
 * test/crypto/jcs.test.ts cross-checks both with the `canonicalize` package.
 */
export function canonicalJson (value: unknown): string {
  return inCanonicalOrder(value) ? JSON.stringify(value) : sortedJson(value)
}

/**
 * Whether JSON.stringify writes `value` as RFC 8785 does: plain JSON data (no toJSON, no class
 * instances, finite numbers, no undefined array elements) whose objects enumerate their members in
 * code-unit order. JavaScript enumerates integer-like names ("2", "10") first and in numeric
 * order, which is not the RFC's, so such objects are in order only when both orders agree.
 */
export function inCanonicalOrder (value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object': {
      if (value === null) return true
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i]
          if (item === undefined || !inCanonicalOrder(item)) return false
        }
        return true
      }
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return false
      const record = value as Record<string, unknown>
      let previous: string | null = null
      for (const key in record) {
        if (!Object.hasOwn(record, key)) return false
        if (previous !== null && !(previous < key)) return false
        previous = key
        const member = record[key]
        // JSON.stringify leaves an undefined member out, as the RFC's serialisation does here.
        if (member !== undefined && !inCanonicalOrder(member)) return false
      }
      return true
    }
    default:
      return false
  }
}

/** The member-by-member serialisation: sorts every object's names; throws on what is not JSON. */
function sortedJson (value: unknown): string {
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
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + sortedJson(value[i])
    return out + ']'
  }
  let out = '{'
  let first = true
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key]
    if (member === undefined) continue
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + sortedJson(member)
    first = false
  }
  return out + '}'
}
