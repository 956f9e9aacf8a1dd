import t from 'tap'
import { testDatabase } from '../helpers/db.ts'
import { AuditWriter } from '../../src/audit/writer.ts'
import { parseEntry, canonicalBytes } from '../../src/audit/entry.ts'
import { leafHash } from '../../src/audit/hasher.ts'
import type { EntryInput } from '../../src/audit/entry.ts'

const actor = { sub: 'c1', role: 'caller' }
const answer = (i: number): EntryInput => ({
  kind: 'answer',
  actor,
  caller: 'c1',
  question: 'q' + i,
  answer: i % 2 === 0 ? 'yes' : 'no',
  params: { year: 2025, ok: true, s: 'x"y' }
})

t.test('concurrent appends are group-committed with dense indices and canonical bytes', async (t) => {
  const database = await testDatabase(t)
  const writer = new AuditWriter(database)
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) => writer.append([answer(i), answer(i + 1000)])))
  const indices = results.flat().sort((a, b) => a - b)
  t.same(indices, Array.from({ length: 400 }, (_, i) => i), 'indices 0..399 without gaps')
  t.ok(writer.batches < 200, `fewer transactions (${writer.batches}) than requests (200)`)
  const rows = await database.query<{ index: number, entry: Uint8Array, leaf_hash: Uint8Array, question: string }>(
    'select index, entry, leaf_hash, question from audit_entries order by index')
  t.equal(rows.length, 400)
  for (const row of rows) {
    const entry = parseEntry(new Uint8Array(row.entry))
    t.equal(Number(row.index), entry.index)
    t.equal(row.question, entry.question)
    t.same(Buffer.from(canonicalBytes(entry)), Buffer.from(row.entry), 'stored bytes are canonical')
    t.same(Buffer.from(leafHash(new Uint8Array(row.entry))), Buffer.from(row.leaf_hash))
  }
  // Every request's two entries are adjacent: one request never straddles another's.
  for (const r of results) t.equal(r[1]! - r[0]!, 1)
})

t.test('the audit tables are append-only', async (t) => {
  const database = await testDatabase(t)
  const writer = new AuditWriter(database)
  await writer.append([answer(1)])
  for (const statement of [
    "update audit_entries set answer = 'no'",
    'delete from audit_entries',
    'truncate audit_entries'
  ]) {
    await t.rejects(database.query(statement), /append-only/, statement)
  }
  t.equal((await database.query('select count(*)::int as n from audit_entries'))[0]!.n, 1)
})

t.test('a failing write rejects every waiting append (fail closed) and the writer recovers', async (t) => {
  const database = await testDatabase(t)
  const writer = new AuditWriter(database)
  await database.query(
    `create function refuse() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`
  )
  await database.query('create trigger refuse before insert on audit_entries for each row execute function refuse()')
  const all = await Promise.allSettled([writer.append([answer(1)]), writer.append([answer(2)])])
  t.same(all.map((r) => r.status), ['rejected', 'rejected'])
  t.match((all[0] as PromiseRejectedResult).reason, { code: 'AUDIT_UNAVAILABLE' })
  await database.query('drop trigger refuse on audit_entries')
  t.same(await writer.append([answer(3)]), [0], 'the next entry takes index 0: nothing was written before')
})
