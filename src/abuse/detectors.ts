/**
 * Abuse detectors (design §10; security-research §2.1, §4.5, §8). Request counts do not see an
 * enumeration: the signal is distinct subjects, misses, and structure. Each detector judges the
 * counts of one observation and names the alert to raise; the thresholds and their reasoning are
 * in README.md ("Abuse resistance").
 */

export interface DetectorThresholds {
  /** The unknown-subject share is judged only after this many distinct subjects in a day. */
  minSubjects: number
  /** Alert above this share of subjects unknown to every connector (legitimate callers: ~2%). */
  unknownShare: number
  /** Same-prefix IDs needed for a probe alert at low volume… */
  prefixBase: number
  /** …plus one for every this many distinct subjects the client asked about today. */
  prefixPerVolume: number
  /** Share of same-prefix IDs that must be misses (a probe over sequence codes is ~98% misses). */
  prefixMissShare: number
  /** Distinct names tried against one ID in a day that count as guessing. */
  namesPerSubject: number
}

export const DEFAULT_THRESHOLDS: DetectorThresholds = {
  minSubjects: 50,
  unknownShare: 0.2,
  prefixBase: 3,
  prefixPerVolume: 2000,
  prefixMissShare: 0.6,
  namesPerSubject: 3
}

export interface ObservedCounts {
  subjects: number
  unknown: number
  orgSubjects: number | null
  orgUnknown: number | null
  prefixSubjects: number
  prefixUnknown: number
  names: number
}

export type AlertKind =
  | 'UNKNOWN_SUBJECTS'
  | 'ORG_UNKNOWN_SUBJECTS'
  | 'PREFIX_PROBE'
  | 'NAME_GUESSING'
  | 'QUOTA_EXCEEDED'

export interface Finding { kind: AlertKind, detail: Record<string, number | string> }

/** Same-prefix IDs that make a probe, for a client that asked about `subjects` people today. */
export function prefixThreshold (t: DetectorThresholds, subjects: number): number {
  // A caller drawing V real people a day from one county sees ~V²/(2·20,000) same-prefix pairs of
  // existing people (25 at V=1,000, 625 at V=5,000): the count threshold grows with volume and the
  // miss share does the rest, since those collisions are hits, not misses.
  return t.prefixBase + Math.floor(subjects / t.prefixPerVolume)
}

export function judge (c: ObservedCounts, t: DetectorThresholds = DEFAULT_THRESHOLDS): Finding[] {
  const found: Finding[] = []
  if (c.subjects >= t.minSubjects && c.unknown / c.subjects > t.unknownShare) {
    found.push({ kind: 'UNKNOWN_SUBJECTS', detail: { subjects: c.subjects, unknown: c.unknown } })
  }
  if (c.orgSubjects !== null && c.orgUnknown !== null &&
    c.orgSubjects >= t.minSubjects && c.orgUnknown / c.orgSubjects > t.unknownShare) {
    found.push({ kind: 'ORG_UNKNOWN_SUBJECTS', detail: { subjects: c.orgSubjects, unknown: c.orgUnknown } })
  }
  const need = prefixThreshold(t, c.subjects)
  if (c.prefixSubjects >= need && c.prefixUnknown >= Math.ceil(t.prefixMissShare * c.prefixSubjects)) {
    const detail = { samePrefix: c.prefixSubjects, misses: c.prefixUnknown, threshold: need }
    found.push({ kind: 'PREFIX_PROBE', detail })
  }
  if (c.names >= t.namesPerSubject) {
    found.push({ kind: 'NAME_GUESSING', detail: { names: c.names } })
  }
  return found
}
