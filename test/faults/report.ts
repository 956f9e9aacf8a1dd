/**
 * Every response of a scenario joined with the audit log, by case id (unique per request), and the
 * answer's verification id and audit index checked against the entry's:
 *
 *   A   answered without a committed entry (an answer whose entry is missing or is another's) — must be 0
 *   W   entries without a response (committed, but the caller got 503, an error or nothing) — allowed
 *   D   duplicates: a case id with more than one answer entry — must be 0
 *   H   hung: no response within the deadline plus 1 s — must be 0
 */
import type { Sent } from './driver.ts'

export interface LoggedAnswer { index: number, caseId: string, verification: string }

export interface Outcome {
  scenario: string
  requests: number
  answered: number
  refused: number
  /** Responses other than 200 and 503 (a 500 would be a driver error the service failed to classify). */
  other: number
  /** Connection refused or reset: the service process was gone. */
  errors: number
  A: number
  W: number
  D: number
  H: number
  /** Seconds from the database (or service) being back to the first answer; null if it does not apply. */
  recovery: number | null
  /** The longest request that ended with a response, in seconds. */
  longest: number
}

export interface Marks {
  /** When the database (or the service) was back, in performance.now() time. */
  back: number | null
}

export function outcome (scenario: string, sent: readonly Sent[], entries: readonly LoggedAnswer[], marks: Marks,
  hungAfterMs: number): Outcome {
  const byCase = new Map<string, LoggedAnswer[]>()
  for (const e of entries) byCase.set(e.caseId, [...byCase.get(e.caseId) ?? [], e])
  let A = 0
  let W = 0
  let H = 0
  let longest = 0
  let firstAfterBack = Infinity
  for (const r of sent) {
    const logged = byCase.get(r.caseId) ?? []
    if (r.status === 200) {
      const own = logged.find((e) => e.index === r.index && e.verification === r.verification)
      if (own === undefined) A++
      if (marks.back !== null && r.end! >= marks.back) firstAfterBack = Math.min(firstAfterBack, r.end!)
    } else if (logged.length > 0) {
      W++
    }
    const ms = (r.end ?? Infinity) - r.start
    if (r.error === 'timeout' || ms > hungAfterMs) H++
    if (r.error === undefined) longest = Math.max(longest, ms)
  }
  const D = [...byCase.values()].filter((l) => l.length > 1).length
  return {
    scenario,
    requests: sent.length,
    answered: sent.filter((r) => r.status === 200).length,
    refused: sent.filter((r) => r.status === 503).length,
    other: sent.filter((r) => r.status !== undefined && r.status !== 200 && r.status !== 503).length,
    errors: sent.filter((r) => r.error !== undefined && r.error !== 'timeout').length,
    A,
    W,
    D,
    H,
    recovery: marks.back === null ? null : (firstAfterBack - marks.back) / 1000,
    longest: longest / 1000
  }
}

export function table (rows: readonly Outcome[]): string {
  const columns = ['scenario', 'requests', 'answered', '503', 'other', 'conn. errors', 'A', 'W', 'D', 'H',
    'recovery s', 'longest s']
  const fmt = (n: number | null): string => n === null ? '–' : Number.isFinite(n) ? n.toFixed(2) : 'never'
  const line = (cells: Array<string | number>): string => '| ' + cells.join(' | ') + ' |'
  return [
    line(columns),
    line(columns.map((_, i) => i === 0 ? '---' : '--:')),
    ...rows.map((r) => line([r.scenario, r.requests, r.answered, r.refused, r.other, r.errors, r.A, r.W, r.D, r.H,
      fmt(r.recovery), fmt(r.longest)]))
  ].join('\n')
}
