/**
 * Idempotency keys (design §14.6) on both verification routes: a repeat with the same key and body
 * returns the first response (same ids, audit indices and receipts) with `Idempotent-Replayed`,
 * writes no entry and counts no quota — also when the first response was lost after its entries
 * committed (a real HTTP client that disconnects); concurrent duplicates never make two answers;
 * the same key with another body is 422; refusals and failures let the key go; keys expire.
 */
import t from 'tap'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LightMyRequestResponse } from 'fastify'
import { build, ADMIN, CALLER } from '../helpers/app.ts'
import { testDatabase } from '../helpers/db.ts'
import { UNLIMITED } from '../helpers/registry.ts'
import { verification } from '../helpers/verifications.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE } from '../../src/demo/demo.ts'
import { expireKeys } from '../../src/idempotency/keys.ts'
import type { Database, Executor } from '../../src/db/client.ts'

/** The test database, whose transactions can be made to answer late (after they committed). */
function slowAfterCommit (database: Database): {
  database: Database
  delayMs: { value: number }
  /** 'before': the next transaction fails before it starts; 'after': it commits, then reports a failure */
  fail: { value: 'before' | 'after' | null }
} {
  const delayMs = { value: 0 }
  const fail: { value: 'before' | 'after' | null } = { value: null }
  const lost = (): Error => Object.assign(new Error('connection ended'), { code: 'CONNECTION_ENDED' })
  const proxy = new Proxy(database, {
    get (target, prop) {
      if (prop === 'transaction') {
        return async <T>(fn: (tx: Executor) => Promise<T>): Promise<T> => {
          const failure = fail.value
          fail.value = null
          if (failure === 'before') throw lost()
          const result = await target.transaction(fn)
          if (failure === 'after') throw lost()
          if (delayMs.value > 0) await sleep(delayMs.value)
          return result
        }
      }
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    }
  })
  return { database: proxy, delayMs, fail }
}

const slow = slowAfterCommit(await testDatabase(t))
const { app, database, keyring, as, token: mint } = await build(t, { database: slow.database })
const { people } = await loadDemo(database, keyring, 60)
const lifted = await as(ADMIN)('PUT', '/v1/clients/' + DEMO_CLIENT + '/quotas', { quotas: UNLIMITED })
if (lifted.statusCode !== 200) throw new Error(lifted.body)
const caller = as(CALLER)
let n = 0
const person = (): typeof people[number] => people[n++]!

const count = async (sql: string, params: unknown[] = []): Promise<number> =>
  Number((await database.query<{ n: string }>(sql, params))[0]!.n)
const entries = async (): Promise<number> => await count('select count(*) as n from audit_entries')
const requestsCounted = async (): Promise<number> =>
  await count('select coalesce(sum(count), 0) as n from usage_requests where client_id = $1', [DEMO_CLIENT])
const subjectsCounted = async (): Promise<number> =>
  await count('select count(*) as n from usage_subjects where client_id = $1', [DEMO_CLIENT])

const single = async (key: string, body: unknown): Promise<LightMyRequestResponse> =>
  await caller('POST', '/v1/verifications', body, { 'idempotency-key': key })
const batch = async (key: string, body: unknown): Promise<LightMyRequestResponse> =>
  await caller('POST', '/v1/verifications/batch', body, { 'idempotency-key': key })

t.test('a repeat returns the first response, writes nothing and counts nothing', async (t) => {
  const p = person()
  const questions = ['identity.name_matches', 'property.holds']
  const body = verification({ idNumber: p.idNumber, name: p.name, questions })
  const first = await single('k-repeat', body)
  t.equal(first.statusCode, 200, first.body)
  t.notOk(first.headers['idempotent-replayed'], 'the first response is not a replay')
  const [before, requests, subjects] = [await entries(), await requestsCounted(), await subjectsCounted()]
  const again = await single('k-repeat', body)
  t.equal(again.statusCode, 200)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.body, first.body, 'byte for byte: same id, audit indices, receipts and nonces')
  t.equal(await entries(), before, 'no entry written')
  t.equal(await requestsCounted(), requests, 'no request counted')
  t.equal(await subjectsCounted(), subjects, 'no subject counted')
  const other = await single('k-other', body)
  t.not(other.json().id, first.json().id, 'another key is another verification')
})

t.test('the same key with another body, or on the other route, is 422', async (t) => {
  const p = person()
  const body = verification({ idNumber: p.idNumber })
  t.equal((await single('k-reused', body)).statusCode, 200)
  const before = await entries()
  for (const [what, res] of [
    ['another case id', await single('k-reused', { ...body, caseId: 'OTHER' })],
    ['another person', await single('k-reused', verification({ idNumber: person().idNumber }))],
    ['the batch route', await batch('k-reused', {
      purpose: DEMO_PURPOSE, caseId: 'CASE-1', items: [{ subject: body.subject, questions: body.questions }]
    })]
  ] as const) {
    t.equal(res.statusCode, 422, what)
    t.equal(res.json().code, 'IDEMPOTENCY_KEY_REUSED', what)
    t.notOk(res.body.includes(p.idNumber), what + ': nothing echoed')
  }
  t.equal(await entries(), before, 'nothing written')
  const reordered = JSON.parse(JSON.stringify({ caseId: body.caseId, purpose: body.purpose, questions: body.questions,
    subject: body.subject }))
  t.equal((await single('k-reused', reordered)).headers['idempotent-replayed'], 'true',
    'the same JSON with its members in another order is the same request')
})

t.test('keys are per client', async (t) => {
  const p = person()
  await as(ADMIN)('POST', '/v1/clients', {
    id: 'second-office', name: 'Second', questions: ['property.holds'], purposes: [DEMO_PURPOSE], quotas: UNLIMITED
  })
  const body = verification({ idNumber: p.idNumber })
  const mine = await single('k-shared', body)
  const theirs = await as({ sub: 'second-office', role: 'caller' })('POST', '/v1/verifications', body,
    { 'idempotency-key': 'k-shared' })
  t.equal(theirs.statusCode, 200)
  t.notOk(theirs.headers['idempotent-replayed'])
  t.not(theirs.json().id, mine.json().id)
})

t.test('concurrent duplicates make one answer', async (t) => {
  const p = person()
  const body = verification({ idNumber: p.idNumber, caseId: 'CONCURRENT-1' })
  const before = await entries()
  const all = await Promise.all(Array.from({ length: 12 }, async () => await single('k-concurrent', body)))
  const answered = all.filter((r) => r.statusCode === 200)
  const waiting = all.filter((r) => r.statusCode === 409)
  t.equal(answered.length + waiting.length, 12, 'each is answered (first or replay) or told to wait')
  t.ok(answered.length >= 1)
  t.equal(new Set(answered.map((r) => r.body)).size, 1, 'every 200 is the same answer')
  for (const r of waiting) {
    t.equal(r.json().code, 'IDEMPOTENCY_IN_PROGRESS')
    t.equal(r.headers['retry-after'], '1')
  }
  t.equal(await entries(), before + 1, 'one answer entry')
  const later = await single('k-concurrent', body)
  t.equal(later.body, answered[0]!.body, 'and a later repeat gets it')
})

t.test('a refusal lets the key go: a retry runs again', async (t) => {
  const p = person()
  const refused = verification({ idNumber: p.idNumber, purpose: 'marriage' })
  const first = await single('k-refused', refused)
  t.equal(first.json().code, 'PURPOSE_NOT_ALLOWED')
  const before = await entries()
  const again = await single('k-refused', refused)
  t.equal(again.json().code, 'PURPOSE_NOT_ALLOWED')
  t.notOk(again.headers['idempotent-replayed'], 'not a replay')
  t.equal(await entries(), before + 1, 'refused again, audited again')
  const fixed = await single('k-refused', verification({ idNumber: p.idNumber }))
  t.equal(fixed.statusCode, 200, 'the corrected request may use the key')
  const bad = await single('k-invalid', verification({ idNumber: '123' }))
  t.equal(bad.json().code, 'INVALID_ID_NUMBER')
  t.equal(await count('select count(*) as n from idempotency_keys where state = $1', ['pending']), 0,
    'no claim is left behind')
})

t.test('a batch is replayed whole, refused items included', async (t) => {
  const [a, b] = [person(), person()]
  const body = {
    purpose: DEMO_PURPOSE,
    caseId: 'BATCH-KEY-1',
    items: [
      { subject: { idNumber: a.idNumber, name: a.name }, questions: [{ id: 'identity.name_matches' }] },
      { subject: { idNumber: b.idNumber }, questions: [{ id: 'nope.question' }] },
      { subject: { idNumber: b.idNumber }, questions: [{ id: 'property.holds' }] }
    ]
  }
  const first = await batch('k-batch', body)
  t.equal(first.statusCode, 200, first.body)
  t.match(first.json().results[1], { error: { code: 'QUESTION_NOT_ALLOWED' } })
  const before = [await entries(), await requestsCounted()]
  const again = await batch('k-batch', body)
  t.equal(again.headers['idempotent-replayed'], 'true')
  t.equal(again.body, first.body, 'byte for byte')
  t.same([await entries(), await requestsCounted()], before, 'nothing written or counted')
  const refusedOnly = { ...body, caseId: 'BATCH-KEY-2', items: [body.items[1]] }
  await batch('k-batch-refused', refusedOnly)
  const rerun = await batch('k-batch-refused', refusedOnly)
  t.notOk(rerun.headers['idempotent-replayed'], 'a batch that answered no one is not kept')
})

t.test('the header: 1–255 printable ASCII', async (t) => {
  const body = verification({ idNumber: person().idNumber })
  for (const [what, key] of [['256 characters', 'k'.repeat(256)], ['empty', ''], ['a TAB', 'k\tk']] as const) {
    const res = await caller('POST', '/v1/verifications', body, { 'idempotency-key': key })
    t.equal(res.statusCode, 400, what)
    t.match(res.json(), { code: 'INVALID_HEADER', field: '/idempotency-key' }, what)
  }
  t.equal((await caller('POST', '/v1/verifications', body, { 'idempotency-key': 'k'.repeat(255) })).statusCode, 200)
})

t.test('the database fails: before the commit the key is free, after it the answer is replayed', async (t) => {
  const p = person()
  const body = verification({ idNumber: p.idNumber, caseId: 'FAIL-1' })
  const inCase = async (): Promise<number> =>
    await count('select count(*) as n from audit_entries where case_id = $1 and kind = $2', ['FAIL-1', 'answer'])
  slow.fail.value = 'before'
  const failed = await single('k-fail-before', body)
  t.equal(failed.statusCode, 503, failed.body)
  t.equal(await inCase(), 0, 'nothing was answered')
  const retry = await single('k-fail-before', body)
  t.equal(retry.statusCode, 200, 'the retry is asked, not told to wait')
  t.notOk(retry.headers['idempotent-replayed'])
  t.equal(await inCase(), 1)

  const q = person()
  const other = verification({ idNumber: q.idNumber, caseId: 'FAIL-2' })
  slow.fail.value = 'after'
  const unknown = await single('k-fail-after', other)
  t.equal(unknown.statusCode, 503, 'committed, but the service could not know: no answer given')
  const replayed = await single('k-fail-after', other)
  t.equal(replayed.statusCode, 200)
  t.equal(replayed.headers['idempotent-replayed'], 'true', 'the committed answer, not a second one')
  t.equal(await count('select count(*) as n from audit_entries where case_id = $1 and kind = $2', ['FAIL-2', 'answer']),
    1, 'one answer entry')
})

t.test('keys expire after 24 hours and are cleaned up', async (t) => {
  const body = verification({ idNumber: person().idNumber })
  const first = await single('k-expiring', body)
  await database.query(`update idempotency_keys set expires_at = now() - interval '1 second'`)
  const later = await single('k-expiring', body)
  t.equal(later.statusCode, 200)
  t.notOk(later.headers['idempotent-replayed'], 'an expired key is a new request')
  t.not(later.json().id, first.json().id)
  await database.query(`update idempotency_keys set expires_at = now() - interval '1 second' where state = 'done'`)
  t.ok(await expireKeys(database) >= 1, 'the cleanup deletes them')
  t.equal(await count('select count(*) as n from idempotency_keys where expires_at <= now()'), 0)
})

t.test('the response lost after the commit: a real client disconnects, retries, gets the answer', async (t) => {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening')
  const p = person()
  const caseId = 'LOST-1'
  const questions = ['property.holds', 'property.none']
  const body = JSON.stringify(verification({ idNumber: p.idNumber, caseId, questions }))
  const token = 'Bearer ' + mint(CALLER)
  const inCase = async (): Promise<number> =>
    await count('select count(*) as n from audit_entries where case_id = $1', [caseId])

  // The audit transaction answers 1.5 s after it committed: the client gives up in between.
  slow.delayMs.value = 1500
  const socket = connect(address.port, '127.0.0.1')
  let received = ''
  socket.on('data', (d) => { received += d.toString() })
  socket.write(`POST /v1/verifications HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: ${token}\r\n` +
    `content-type: application/json\r\nidempotency-key: k-lost\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n` +
    body)
  for (let i = 0; i < 400 && await inCase() === 0; i++) await sleep(5)
  t.equal(await inCase(), 2, 'the answer\'s entries committed')
  socket.destroy()
  t.equal(received, '', 'the client never saw a response')
  slow.delayMs.value = 0
  await sleep(1700)
  const [requests, subjects] = [await requestsCounted(), await subjectsCounted()]

  const retry = await fetch(`http://127.0.0.1:${address.port}/v1/verifications`, {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/json', 'idempotency-key': 'k-lost' },
    body
  })
  t.equal(retry.status, 200)
  t.equal(retry.headers.get('idempotent-replayed'), 'true')
  const answer = await retry.json() as { id: string, answers: Array<{ auditIndex: number, receipt: string }> }
  const logged = await database.query<{ index: string, verification: string }>(
    'select index, verification from audit_entries where case_id = $1 order by index', [caseId])
  t.equal(logged.length, 2, 'no second audit entry')
  t.equal(answer.id, logged[0]!.verification, 'the committed verification')
  t.same(answer.answers.map((a) => a.auditIndex), logged.map((l) => Number(l.index)), 'its audit indices')
  t.ok(answer.answers.every((a) => a.receipt.split('.').length === 3), 'with receipts')
  t.equal(await requestsCounted(), requests, 'no second quota count')
  t.equal(await subjectsCounted(), subjects)
  const check = await fetch(`http://127.0.0.1:${address.port}/v1/verifications/${answer.id}/certificate`, {
    method: 'POST',
    headers: { authorization: token, 'content-type': 'application/json' },
    body: JSON.stringify({ idNumber: p.idNumber, format: 'html' })
  })
  t.equal(check.status, 200, 'the replayed verification is a real one')
})
