/**
 * The limiter's batch statement (migration 0020, shifou_admit), then the records read by the
 * connectors and the fresh requests observed in a batch, against the limiter checked one request
 * at a time (shifou_quota_check, then shifou_observe — the per-request observation that migration
 * 0072 replaced, created again here — for a fresh request that passed): random
 * batches from a few clients with small limits, so that both the batch's own path (nothing over a
 * limit) and the request-by-request path are taken. The decisions, the records read and every
 * counter the limiter and the detectors keep must be the same.
 */
import t from 'tap'
import { testDatabase } from '../helpers/db.ts'
import { prng } from '../../src/demo/population.ts'
import { checkQuotas, cstDay, type QuotaInput } from '../../src/abuse/limits.ts'
import { observeFresh } from '../../src/abuse/observe.ts'
import type { ObservedCounts } from '../../src/abuse/detectors.ts'
import { recreateFunction } from '../../bench/db.ts'
import { readRecords } from '../../src/connectors/records.ts'

const SNAPSHOT = 999_999
const QUOTAS = { requestsPerMinute: 14, subjectsPerDay: 5, subjectsPerCase: 2, namesPerSubjectPerDay: 2 }

const tag = (n: number): Buffer => Buffer.alloc(32, n)
/** The columns compared of each client-keyed usage table, after the client. */
const COLUMNS: Record<string, string> = {
  usage_subjects: 'day, subject, substr(organisation, 2) as org, prefix, known',
  usage_requests: 'minute, count',
  usage_daily: 'day, subjects',
  usage_case_subjects: 'case_id, subject',
  usage_names: 'day, subject, name'
}

t.test('a batch is decided and recorded as its requests one at a time would be', async (t) => {
  const db = await testDatabase(t)
  // The observation one request at a time, as it was before migration 0072 replaced it.
  await recreateFunction(async (text) => await db.query(text), 'shifou_observe',
    ['0004_quota_functions.sql', '0020_admission_apart.sql'])
  // Records of subjects 0-3 in a snapshot of their own: subjects 4-7 are unknown to it.
  await db.query(`create table records_s${SNAPSHOT} partition of records for values in (${SNAPSHOT})`)
  for (let s = 0; s < 4; s++) {
    await db.query(
      'insert into records (snapshot_id, subject_hash, key_version, attrs) values ($1, $2, 1, $3::jsonb)',
      [SNAPSHOT, tag(s), JSON.stringify({ n: s })]
    )
  }
  const rand = prng(2026)
  const pick = (n: number): number => Math.floor(rand() * n)
  let refusedBatches = 0
  let passedBatches = 0
  for (let b = 0; b < 60; b++) {
    // A new minute every four batches and a new day every twenty (days in China Standard Time).
    const now = new Date(Date.UTC(2026, 11, 6 + Math.floor(b / 20), 3, b % 20 >> 2, 10))
    const day = cstDay(now)
    const size = 1 + pick(8)
    const requests = Array.from({ length: size }, () => ({
      client: pick(3),
      subject: pick(8),
      case: pick(12),
      name: pick(4)
    }))
    const input = (prefix: string, r: typeof requests[number]): QuotaInput => ({
      client: prefix + r.client,
      organisation: r.client === 2 ? null : prefix + 'org',
      quotas: QUOTAS,
      subject: tag(r.subject),
      prefix: tag(100 + (r.subject % 3)),
      caseId: 'case-' + r.case,
      name: r.name === 3 ? null : tag(200 + r.name),
      now
    })

    const inputs = requests.map((r) => input('b', r))
    const decisions = await checkQuotas(db.relaxed, inputs)
    const passed = inputs.filter((_, i) => decisions[i]!.limit === null)
    const read = await readRecords(db, passed.map((q) => ({ snapshotId: SNAPSHOT, subjectHash: q.subject })))
    const readOf = new Map(passed.map((q, i) => [q, read[i]!]))
    const fresh = inputs.filter((_, i) => decisions[i]!.fresh)
    const observed = await observeFresh(db.relaxed, fresh.map((q) => ({
      client: q.client,
      organisation: q.organisation,
      subject: q.subject,
      prefix: q.prefix,
      now: q.now,
      known: readOf.get(q)!.records.length > 0
    })))
    const batched = decisions.map((d, i) => ({ ...d, records: d.limit === null ? [readOf.get(inputs[i]!)!] : [] }))

    // The same requests one at a time, in the order the batch takes them (by client).
    const single: Array<{ limit: string | null, fresh: boolean, records: unknown[] }> = []
    const singleCounts = new Map<number, ObservedCounts>()
    const order = requests.map((r, i) => ({ r, i })).sort((x, y) => x.r.client - y.r.client || x.i - y.i)
    for (const { r, i } of order) {
      const q = input('e', r)
      const [d] = await db.query<{ code: string | null, fresh: boolean }>(
        'select code, fresh from shifou_quota_check($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
        [
          q.client,
          q.organisation,
          q.now.toISOString(),
          day,
          q.subject,
          q.prefix,
          q.caseId,
          q.name,
          QUOTAS.requestsPerMinute,
          QUOTAS.subjectsPerDay,
          QUOTAS.subjectsPerCase,
          QUOTAS.namesPerSubjectPerDay
        ]
      )
      const records =
        d!.code === null
          ? (
              await db.query<{ attrs: unknown }>(
                'select attrs from records where snapshot_id = $1 and subject_hash = $2',
                [SNAPSHOT, q.subject]
              )
            ).map((x) => x.attrs)
          : []
      if (d!.code === null && d!.fresh) {
        const [c] = await db.query<Record<string, number | null>>(
          'select * from shifou_observe($1, $2, $3, $4, $5, $6, $7, $8)', [
            q.client,
            q.organisation,
            day,
            q.subject,
            q.prefix,
            records.length > 0 ? true : null,
            [],
            []
          ])
        singleCounts.set(i, {
          subjects: c!.subjects ?? 0,
          unknown: c!.unknown ?? 0,
          orgSubjects: c!.org_subjects ?? null,
          orgUnknown: c!.org_unknown ?? null,
          prefixSubjects: c!.prefix_subjects ?? 0,
          prefixUnknown: c!.prefix_unknown ?? 0,
          names: c!.names ?? 0
        })
      }
      single[i] = { limit: d!.code, fresh: d!.code === null && d!.fresh, records: d!.code === null ? [records] : [] }
    }
    // None of these subjects is marked unreadable (src/connectors/records.ts); compare their records.
    t.notOk(batched.some((d) => d.records.some((r) => r.unreadable)), `batch ${b}: no subject is unreadable`)
    const got = batched.map((d) => ({
      limit: d.limit, fresh: d.limit === null && d.fresh, records: d.records.map((r) => r.records)
    }))
    t.same(got, single, `batch ${b}: the same decisions and records`)
    if (single.some((d) => d.limit !== null)) refusedBatches++
    else passedBatches++

    for (const table of [
      'usage_requests',
      'usage_subjects',
      'usage_daily',
      'usage_case_subjects',
      'usage_names',
      'usage_org_daily'
    ]) {
      const columns = table === 'usage_org_daily'
        ? 'substr(organisation, 2) as who, day, subjects'
        : 'substr(client_id, 2) as who, ' + COLUMNS[table]
      const owner = table === 'usage_org_daily' ? 'organisation' : 'client_id'
      const order = table === 'usage_subjects' || table === 'usage_names' ? '1, 2, 3, 4' : '1, 2, 3'
      const rows = async (p: string): Promise<unknown[]> =>
        await db.query(`select ${columns} from ${table} where ${owner} like '${p}%' order by ${order}`)
      t.same(await rows('b'), await rows('e'), `batch ${b}: ${table} the same`)
    }
    const misses = async (p: string): Promise<unknown[]> =>
      await db.query(
        `select regexp_replace(scope, '^(client|org):' || $1, '') as who, day, unknown from usage_misses
          where scope like 'client:' || $1 || '%' or scope like 'org:' || $1 || '%' order by 1, 2`,
        [p]
      )
    t.same(await misses('b'), await misses('e'), `batch ${b}: usage_misses the same`)

    // The counts the detectors judge are those after the whole batch (migration 0072): never below
    // what one request at a time reported, and the same as it for the request observed last — of
    // its client for the client's counts, of the batch for the organisation's too.
    const freshAt = inputs.flatMap((q, i) => decisions[i]!.fresh ? [i] : [])
    const lastOf = new Map(order.filter(({ i }) => singleCounts.has(i)).map(({ r, i }) => [r.client, i]))
    const lastOfAll = order.filter(({ i }) => singleCounts.has(i)).at(-1)?.i
    freshAt.forEach((i, k) => {
      const got = observed[k]!
      const one = singleCounts.get(i)!
      const own = (c: ObservedCounts): unknown[] =>
        [c.subjects, c.unknown, c.prefixSubjects, c.prefixUnknown, c.names]
      const org = (c: ObservedCounts): unknown[] => [c.orgSubjects, c.orgUnknown]
      if (own(got).some((n, j) => (n as number) < (own(one)[j] as number)) ||
        org(got).some((n, j) => n !== null && (n as number) < (org(one)[j] as number))) {
        t.fail(`batch ${b}: request ${i}'s counts ${JSON.stringify(got)} below one at a time ${JSON.stringify(one)}`)
      }
      if (lastOf.get(requests[i]!.client) === i) t.same(own(got), own(one), `batch ${b}: last of its client`)
      if (lastOfAll === i) t.same(org(got), org(one), `batch ${b}: last of the batch, its organisation's counts`)
    })
  }
  t.ok(
    passedBatches > 5 && refusedBatches > 5,
    `both paths taken: ${passedBatches} batches within every limit, ${refusedBatches} with a refusal`
  )
})
