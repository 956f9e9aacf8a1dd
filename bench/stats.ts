/** Figures of repeated runs: the median, and the spread as "min–max". */
export function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function spread (xs: readonly number[], digits = 0): string {
  const f = (x: number): string => x.toFixed(digits)
  return `${f(Math.min(...xs))}–${f(Math.max(...xs))}`
}
