/**
 * Near matches for a name a caller probably mistyped (a question id, a field): the candidates
 * within a small edit distance (optimal string alignment: insertions, deletions, substitutions and
 * swaps of two neighbours). Candidates are only what the caller may know already — its own
 * questions, the fields of a schema — so a suggestion never reveals that something else exists.
 */

/** Edit distance with adjacent transpositions (optimal string alignment), over UTF-16 code units. */
export function editDistance (a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The candidates closest to `word`, best first, at most `limit`: within 2 edits, and within a third of
 * the word's length (so that `a` does not suggest every one-letter name). Case differences count as one.
 */
export function nearMatches (word: string, candidates: Iterable<string>, limit = 3): string[] {
  const bound = Math.min(2, Math.max(1, Math.floor(word.length / 3)))
  const scored: Array<[string, number]> = []
  for (const c of candidates) {
    if (c === word) continue
    if (Math.abs(c.length - word.length) > bound) continue
    const distance = c.toLowerCase() === word.toLowerCase() ? 1 : editDistance(word, c)
    if (distance <= bound) scored.push([c, distance])
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]))
  return scored.slice(0, limit).map(([c]) => c)
}
