/**
 * Exact decimal arithmetic for `sum`. Amounts such as 0.1 and 0.2 are stored as binary doubles;
 * their float sum is 0.30000000000000004, so "sum eq 0.3" or "sum lte 0.3" would answer no.
 * Each number is taken as the shortest decimal that round-trips (what the CSV or JSON said) and
 * summed exactly with BigInt. Sums of safe integers never come here (see aggregate.ts).
 */

/** value = m × 10^e */
export interface Dec { m: bigint, e: number }

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/

/** A finite number as the decimal JavaScript prints for it. */
export function toDec (n: number): Dec {
  const match = NUMBER.exec(String(n))
  if (match === null) throw new Error('toDec needs a finite number')
  const [, sign = '', int = '', frac = '', exp = '0'] = match
  return { m: BigInt(sign + int + frac), e: Number(exp) - frac.length }
}

function scaled (a: Dec, e: number): bigint {
  return a.e === e ? a.m : a.m * 10n ** BigInt(a.e - e)
}

export function addDec (a: Dec, b: Dec): Dec {
  const e = Math.min(a.e, b.e)
  return { m: scaled(a, e) + scaled(b, e), e }
}

/** The sign of a − b: -1, 0 or 1. */
export function compareDec (a: Dec, b: Dec): number {
  const e = Math.min(a.e, b.e)
  const d = scaled(a, e) - scaled(b, e)
  return d > 0n ? 1 : d < 0n ? -1 : 0
}
