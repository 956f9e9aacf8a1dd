import t from 'tap'
import { AbuseMonitor } from '../../src/abuse/monitor.ts'
import { Readable } from 'node:stream'
import { build, ADMIN } from '../helpers/app.ts'
import { loadDemo, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { makeId, makePeople, prng } from '../../src/demo/population.ts'
import { judge, prefixThreshold, DEFAULT_THRESHOLDS } from '../../src/abuse/detectors.ts'
import { addClient, alertsOf, ask, decorate, samePrefix } from './helpers.ts'

t.test('judge: thresholds at their boundaries', async (t) => {
  const base = { subjects: 100, unknown: 0, orgSubjects: null, orgUnknown: null, prefixSubjects: 1, prefixUnknown: 0, names: 1 }
  t.same(judge(base), [])
  t.same(judge({ ...base, unknown: 20 }), [], '20% unknown is not above 20%')
  t.same(judge({ ...base, unknown: 21 }).map((f) => f.kind), ['UNKNOWN_SUBJECTS'])
  t.same(judge({ ...base, subjects: 49, unknown: 49 }), [], 'too few subjects to judge a share')
  t.same(judge({ ...base, prefixSubjects: 3, prefixUnknown: 2 }).map((f) => f.kind), ['PREFIX_PROBE'], '3 same-prefix IDs, 2 misses')
  t.same(judge({ ...base, prefixSubjects: 3, prefixUnknown: 1 }), [], 'same-prefix hits are not a probe')
  t.same(judge({ ...base, prefixSubjects: 2, prefixUnknown: 2 }), [])
  t.equal(prefixThreshold(DEFAULT_THRESHOLDS, 5000), 5, 'the threshold grows with volume')
  t.same(judge({ ...base, subjects: 5000, prefixSubjects: 4, prefixUnknown: 4 }), [], 'a high-volume client needs more')
  t.same(judge({ ...base, names: 3 }).map((f) => f.kind), ['NAME_GUESSING'])
  t.same(judge({ ...base, orgSubjects: 60, orgUnknown: 20 }).map((f) => f.kind), ['ORG_UNKNOWN_SUBJECTS'])
})

t.test('a sequence-code probe sent with decorated IDs raises the probe alert; counting uses canonical IDs', async (t) => {
  const app = await build(t)
  const { people } = await loadDemo(app.database, app.keyring, 100)
  await addClient(app, 'prober', {})
  const caller = app.as({ sub: 'prober', role: 'caller' })
  const target = people[7]!.idNumber
  // The real person, then sequence codes around it: almost all of them exist nowhere.
  const seqs = [1, 3, 5, 7, 9].map((s) => samePrefix(target, (Number(target.slice(14, 17)) + s * 2) % 1000))
  for (const id of [target, ...seqs]) {
    const res = await caller('POST', '/v1/verifications', ask(decorate(id), 'PROBE-' + id.slice(-3)))
    t.equal(res.statusCode, 200)
  }
  // One ID in several encodings is one subject.
  await caller('POST', '/v1/verifications', ask(target.toLowerCase(), 'PROBE-x'))
  await caller('POST', '/v1/verifications', ask('\u3000' + target + ' ', 'PROBE-y'))
  const subjects = await app.database.query<{ n: number }>(`select count(*)::int as n from usage_subjects where client_id = 'prober'`)
  t.equal(subjects[0]!.n, 6, 'six distinct canonical subjects')
  const alerts = await alertsOf(app, 'PREFIX_PROBE')
  t.equal(alerts.length, 1, 'one probe alert')
  t.equal(alerts[0]!.client, 'prober')
  t.ok(Number(alerts[0]!.detail.misses) >= 2)
  t.notMatch(JSON.stringify(alerts), target.slice(0, 14), 'the alert does not carry the prefix')
})

t.test('autoSuspend: an alert suspends the client, audited', async (t) => {
  const app = await build(t)
  const { people } = await loadDemo(app.database, app.keyring, 30)
  await addClient(app, 'suspect', {}, { autoSuspend: true })
  const caller = app.as({ sub: 'suspect', role: 'caller' })
  const p = people[2]!
  for (const n of [p.name, '张三', '李四']) await caller('POST', '/v1/verifications', ask(p.idNumber, 'N', n))
  const alerts = await alertsOf(app, 'NAME_GUESSING')
  t.equal(alerts[0]?.suspended, true)
  const after = await caller('POST', '/v1/verifications', ask(p.idNumber, 'N'))
  t.equal(after.statusCode, 403)
  t.equal(after.json().code, 'CLIENT_INACTIVE')
  const suspend = await app.database.query<{ code: string }>(`select code from audit_entries where kind = 'change' and code = 'SUSPEND'`)
  t.equal(suspend.length, 1, 'the suspension is an audit entry')
})

t.test('an organisation is judged across its clients', async (t) => {
  const app = await build(t)
  await loadDemo(app.database, app.keyring, 50)
  const rand = prng(99)
  for (const id of ['org-a', 'org-b', 'org-c']) {
    const res = await app.as(ADMIN)('POST', '/v1/clients', { id, name: id, organisation: 'same-org', questions: ['property.holds'], purposes: [DEMO_PURPOSE], quotas: { subjectsPerDay: 30 } })
    t.equal(res.statusCode, 201)
  }
  // Each client stays under 30 subjects (and under the per-client share rule's 50-subject minimum),
  // asking only about IDs no department knows: together they are 75 subjects, all unknown.
  for (const id of ['org-a', 'org-b', 'org-c']) {
    const caller = app.as({ sub: id, role: 'caller' })
    for (let i = 0; i < 25; i++) t.equal((await caller('POST', '/v1/verifications', ask(makeId(rand, '650102'), id + i))).statusCode, 200)
  }
  const perClient = await alertsOf(app, 'UNKNOWN_SUBJECTS')
  t.equal(perClient.length, 0, 'no single client crossed a threshold')
  const org = await alertsOf(app, 'ORG_UNKNOWN_SUBJECTS')
  t.equal(org.length, 1, 'the organisation did')
  t.equal(org[0]!.client, null)
})

t.test('a legitimate high-volume day raises no alert (false-positive control)', async (t) => {
  const app = await build(t)
  const size = process.env.DATABASE_URL ? 4000 : 2400
  // One county, thousands of existing people: same-prefix pairs of real people are expected.
  const rand = prng(7)
  const county = Array.from({ length: size }, () => makeId(rand, '440106'))
  const people = [...new Set(county)]
  await loadDemo(app.database, app.keyring, 10)
  const csv = Readable.from(['id_number,year,amount\n', ...people.map((id) => `${id},2025,1000\n`)])
  const { getConnector } = await import('../../src/registry/store.ts')
  const { loadSnapshot } = await import('../../src/connectors/load.ts')
  await loadSnapshot({ database: app.database, keyring: app.keyring, actor: { sub: 't', role: 'admin' }, connector: await getConnector(app.database, 'tax'), asOf: '2026-11-01', format: 'csv', input: csv })
  app.app.registry.invalidate()
  const clients = ['housing-a', 'housing-b', 'school-c']
  for (const id of clients) {
    const res = await app.as(ADMIN)('POST', '/v1/clients', { id, name: id, organisation: 'county-gov', questions: ['tax.paid_in_year'], purposes: [DEMO_PURPOSE], quotas: { subjectsPerDay: 5000, requestsPerMinute: 100000 } })
    t.equal(res.statusCode, 201)
  }
  const unknown = makePeople(30, 4242).map((p) => p.idNumber) // ~1% people no department knows (newcomers)
  const share = Math.floor(people.length / clients.length)
  let n = 0
  for (const [k, id] of clients.entries()) {
    const caller = app.as({ sub: id, role: 'caller' })
    const mine = [...people.slice(k * share, (k + 1) * share), ...unknown.slice(k * 10, k * 10 + 10)]
    for (let i = 0; i < mine.length; i += 50) {
      const batch = await Promise.all(mine.slice(i, i + 50).map(async (pid, j) => await caller('POST', '/v1/verifications', {
        subject: { idNumber: pid }, questions: [{ id: 'tax.paid_in_year', params: { year: 2025 } }], purpose: DEMO_PURPOSE, caseId: `${id}-${i + j}`
      })))
      for (const r of batch) if (r.statusCode !== 200) t.fail(r.body)
      n += batch.length
    }
  }
  const pairs = await app.database.query<{ n: number }>(`select count(*)::int as n from (select client_id, prefix from usage_subjects group by client_id, prefix having count(*) >= 2) x`)
  t.comment(`${n} verifications by ${clients.length} clients of one organisation, one county; same-prefix groups of real people: ${pairs[0]!.n}`)
  t.ok(pairs[0]!.n > 0, 'the trace does contain same-prefix groups of real people')
  t.same(await alertsOf(app), [], 'no alert')
})

t.test('an alert of the day is stored once; a detector that keeps firing does not write again', async (t) => {
  const app = await build(t)
  let inserts = 0
  const database = new Proxy(app.database, {
    get (target, prop) {
      if (prop === 'query') {
        return async (sql: string, params?: unknown[]) => {
          if (sql.includes('insert into alerts')) inserts++
          return await target.query(sql, params)
        }
      }
      const value: unknown = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    }
  })
  const monitor = new AbuseMonitor({ database })
  const client = { id: 'busy', organisation: 'org-busy', autoSuspend: false }
  const now = new Date()
  for (let i = 0; i < 50; i++) {
    monitor.refused(client, 'requestsPerMinute', Buffer.alloc(32, i), now)
    await monitor.drain()
  }
  t.equal(inserts, 1, 'one insert for fifty findings of one kind and scope')
  const [row] = await app.database.query<{ n: number }>(`select count(*)::int as n from alerts where client_id = 'busy'`)
  t.equal(Number(row!.n), 1, 'one alert stored')
  monitor.refused(client, 'subjectsPerDay', Buffer.alloc(32, 1), now)
  await monitor.drain()
  t.equal(inserts, 2, 'another scope is stored')
})

t.test('only answers that bring the detectors something new are observed, and the detectors still judge them', async (t) => {
  const app = await build(t)
  const { people } = await loadDemo(app.database, app.keyring, 30)
  await addClient(app, 'rechecker', {})
  const caller = app.as({ sub: 'rechecker', role: 'caller' })
  const monitor = app.app.admission as AbuseMonitor
  const observed = async (body: Record<string, unknown>): Promise<number> => {
    const before = monitor.observations
    const res = await caller('POST', '/v1/verifications', body)
    t.equal(res.statusCode, 200, res.body)
    await monitor.drain()
    return monitor.observations - before
  }
  const p = people[3]!
  t.equal(await observed(ask(p.idNumber, 'R-1')), 1, 'a subject new today is observed')
  t.equal(await observed(ask(p.idNumber, 'R-2')), 0, 'the same subject again is not, in another case too')
  t.equal(await observed(ask(decorate(p.idNumber), 'R-3')), 0, 'nor written differently')
  t.equal(await observed(ask(p.idNumber, 'R-4', p.name)), 1, 'a name not tried against it today is')
  t.equal(await observed(ask(p.idNumber, 'R-5', p.name)), 0, 'the same name again is not')
  t.equal(await observed(ask(p.idNumber, 'R-6', '张三')), 1, 'another name is')
  t.equal(await observed(ask(p.idNumber, 'R-7', '李四')), 1, 'and a third')
  t.equal((await alertsOf(app, 'NAME_GUESSING')).length, 1, 'three names against one ID are still judged guessing')
  t.equal(await observed(ask(people[4]!.idNumber, 'R-8')), 1, 'another subject is observed')
  const [row] = await app.database.query<{ n: number }>(`select count(*)::int as n from usage_subjects where client_id = 'rechecker' and known is not null`)
  t.equal(Number(row!.n), 2, 'each subject was marked known or unknown once')
  const metrics = await app.app.inject({ method: 'GET', url: '/metrics' })
  t.match(metrics.body, /shifou_detector_observations \d+/, 'the count is exported')
})
