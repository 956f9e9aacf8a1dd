/**
 * A synthetic population for the demo, tests and benchmarks: valid resident ID numbers (correct
 * check digits, real calendar dates) with Chinese names, and each department's records about them.
 * Deterministic for a seed, so a demo prints the same example every time. Nobody here is real.
 */
import { checkDigit } from '../matchers/cn-resident-id.ts'

/** mulberry32: a small, fast, seedable PRNG (not for secrets). */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const REGIONS = ['110105', '310104', '440106', '440305', '330106', '510107', '420106', '320102', '610113', '500103']
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高']
const GIVEN = [
  '伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛',
  '明', '超', '秀', '霞', '平', '刚', '桂', '英', '华', '喆', '淼', '昇', '堃', '玉', '兰'
]

export interface Person { idNumber: string, name: string }

export function makeId (rand: () => number, region?: string): string {
  const r = region ?? REGIONS[Math.floor(rand() * REGIONS.length)]!
  const day = new Date(Date.UTC(1950, 0, 1) + Math.floor(rand() * 20000) * 86400000)
  const ymd = day.toISOString().slice(0, 10).replaceAll('-', '')
  const seq = String(Math.floor(rand() * 1000)).padStart(3, '0')
  const first17 = r + ymd + seq
  return first17 + checkDigit(first17)
}

export function makePeople (count: number, seed = 1): Person[] {
  const rand = prng(seed)
  const seen = new Set<string>()
  const people: Person[] = []
  const pick = (list: readonly string[]): string => list[Math.floor(rand() * list.length)]!
  while (people.length < count) {
    const idNumber = makeId(rand)
    if (seen.has(idNumber)) continue
    seen.add(idNumber)
    const given = pick(GIVEN) + (rand() < 0.6 ? pick(GIVEN) : '')
    people.push({ idNumber, name: pick(SURNAMES) + given })
  }
  return people
}

/** The demo's departments' records, as CSV text generators (one line at a time). */
export function * realEstateCsv (people: readonly Person[], seed = 2): Generator<string> {
  const rand = prng(seed)
  yield 'id_number,property_type,area,registered_on\n'
  for (const p of people) {
    const n = rand() < 0.35 ? 1 + Math.floor(rand() * 2) : 0
    for (let i = 0; i < n; i++) {
      const year = 1995 + Math.floor(rand() * 30)
      // In this order: the generator's numbers are drawn as the line is written.
      const kind = rand() < 0.8 ? 'residential' : 'commercial'
      const area = (40 + rand() * 160).toFixed(1)
      const registered = `${year}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`
      yield `${p.idNumber},${kind},${area},${registered}\n`
    }
  }
}

export function * taxCsv (people: readonly Person[], seed = 3): Generator<string> {
  const rand = prng(seed)
  yield 'id_number,year,amount\n'
  for (const p of people) {
    if (rand() < 0.2) continue
    for (const year of [2023, 2024, 2025]) {
      if (rand() < 0.15) continue
      yield `${p.idNumber},${year},${Math.floor(rand() * 60000)}\n`
    }
  }
}

export function * socialCsv (people: readonly Person[], seed = 4): Generator<string> {
  const rand = prng(seed)
  yield 'id_number,scheme,start,end\n'
  for (const p of people) {
    if (rand() < 0.25) continue
    const start = `20${10 + Math.floor(rand() * 14)}-0${1 + Math.floor(rand() * 9)}-01`
    const end = rand() < 0.7 ? '' : `2025-0${1 + Math.floor(rand() * 9)}-01`
    yield `${p.idNumber},${rand() < 0.5 ? 'pension' : 'medical'},${start},${end}\n`
  }
}

export function * householdCsv (people: readonly Person[]): Generator<string> {
  yield 'id_number,name\n'
  for (const p of people) yield `${p.idNumber},${p.name}\n`
}
