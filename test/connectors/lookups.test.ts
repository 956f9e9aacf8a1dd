/**
 * Bounded lookups (design §14.1; issue 15 part 6): a lookup reads only the active snapshot of its
 * connector, by index, whatever other snapshots exist and whatever one department loads, and at
 * most maxRecordsPerSubject rows of one subject. The plans are read (EXPLAIN) for the very
 * statement the service runs.
 */
import t from 'tap'
import { testDatabase } from '../helpers/db.ts'
import {
  attachPartition, createPartition, lookupStatement, partitionName, preparePartition, readRecords
} from '../../src/connectors/records.ts'
import type { Database } from '../../src/db/client.ts'

const OLD = 910_001
const SKEWED = 910_002
const SKEW_ROWS = 100_000

const tag = (n: number): Buffer => Buffer.alloc(32, n)
const hex = (n: number): string => tag(n).toString('hex')

/** A snapshot table of `rows` rows: (subject, attrs) pairs given as SQL over generate_series g. */
async function snapshot (db: Database, id: number, select: string, rows: number): Promise<void> {
  await createPartition(db, id)
  await db.query(`insert into ${partitionName(id)} (snapshot_id, subject_hash, key_version, attrs)
    select ${id}, ${select}, 1, jsonb_build_object('g', g) from generate_series(1, ${rows}) g`)
  await preparePartition(db, id)
  await attachPartition(db, id)
}

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  'Actual Rows'?: number
  Plans?: PlanNode[]
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)]

async function plan (db: Database, id: number, subject: number, analyze = false): Promise<PlanNode[]> {
  const [row] = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
    `explain (format json${analyze ? ', analyze' : ''}) ${lookupStatement(id)}`,
    [JSON.stringify([{ i: 0, h: hex(subject), n: 1001 }])])
  return nodes(row!['QUERY PLAN'][0]!.Plan)
}

t.test('a lookup probes the index of its own snapshot only, also next to a skewed snapshot', async (t) => {
  const db = await testDatabase(t)
  // A superseded snapshot that holds subject 7, and the active one: subject 9 in 100,000 identical
  // rows (a department's broken export), and subject 7 once.
  await snapshot(db, OLD, `case when g = 1 then '\\x${hex(7)}'::bytea else decode(md5(g::text), 'hex') end`, 5000)
  await snapshot(db, SKEWED, `case when g = 1 then '\\x${hex(7)}'::bytea else '\\x${hex(9)}'::bytea end`, SKEW_ROWS)

  for (const subject of [7, 9, 11]) {
    const scans = (await plan(db, SKEWED, subject)).filter((n) => n['Relation Name'] !== undefined)
    t.same(scans.map((n) => [n['Node Type'], n['Relation Name'], n['Index Name']]),
      [['Index Scan', partitionName(SKEWED), partitionName(SKEWED) + '_subject_idx']],
      `subject ${subject}: one index scan, on the snapshot's own table`)
  }
  const read = (await plan(db, SKEWED, 9, true)).find((n) => n['Relation Name'] !== undefined)!
  t.equal(read['Actual Rows'], 1001, 'the skewed subject: at most maxRecordsPerSubject + 1 rows are read')

  const lookups = [7, 9, 11].map((s) => ({ snapshotId: SKEWED, subjectHash: tag(s) }))
  const [seven, nine, eleven] = await readRecords(db, lookups)
  t.same(seven, { records: [{ g: 1 }], unreadable: false }, 'the active snapshot\'s row only, not the old one\'s')
  t.same(nine, { records: [], unreadable: true }, 'past maxRecordsPerSubject: unreadable (refused), never answered')
  t.same(eleven, { records: [], unreadable: false })
  const [bounded] = await readRecords(db, [{ snapshotId: SKEWED, subjectHash: tag(7), max: 0 }])
  t.same(bounded, { records: [], unreadable: true }, 'each lookup\'s own bound (its connector\'s setting)')
  const [old] = await readRecords(db, [{ snapshotId: OLD, subjectHash: tag(7) }])
  t.equal(old!.records.length, 1, 'the old snapshot is read only when a lookup names it')

  // Without the snapshot table's declared statistics the planner scans the skewed table for every
  // lookup: the case this test is about (it shows the assertions above can fail). Subject 7's one row
  // goes first: whether ANALYZE's random sample of 30,000 rows caught it decided the plan.
  await db.query(`alter table ${partitionName(SKEWED)} alter column subject_hash reset (n_distinct)`)
  await db.query(`delete from ${partitionName(SKEWED)} where subject_hash = $1`, [tag(7)])
  await db.query(`analyze ${partitionName(SKEWED)}`)
  const sampled = (await plan(db, SKEWED, 11)).filter((n) => n['Relation Name'] !== undefined)
  t.equal(sampled[0]!['Node Type'], 'Seq Scan', 'with sampled statistics: a sequential scan of every row')
})

t.test('a snapshot table that is gone fails the lookup: no answer from no rows', async (t) => {
  const db = await testDatabase(t)
  await t.rejects(readRecords(db, [{ snapshotId: 910_099, subjectHash: tag(1) }]))
})
