/**
 * No raw identifier or name is stored, logged or returned (design §3): after a full scenario —
 * demo population, loads over HTTP (one with decorated IDs, one failing on bad rows), a dozen
 * verifications with names, decorated IDs and refusals, auditor searches and exports — every table
 * (bytea columns decoded too) and every log line, captured at level trace with the production
 * redaction, is searched for the population's IDs in every form and for their names. Keyed hashes
 * are per connector, and the audit log holds the audit pseudonym.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import { build, ADMIN, AUDITOR, CALLER, TEST_MASTER, TEST_SECRET } from '../helpers/app.ts'
import { callerOf, stewardOf } from '../helpers/claims.ts'
import { verification, type Asked } from '../helpers/verifications.ts'
import { loggerOptions } from '../../src/api/app.ts'
import { DEMO_PURPOSE, loadDemo } from '../../src/demo/demo.ts'
import { householdCsv, makePeople, realEstateCsv, type Person } from '../../src/demo/population.ts'
import type { TokenClaims } from '../../src/tokens.ts'

const CONNECTORS = ['realestate', 'tax', 'social', 'household'] as const
const HEX64 = /^[0-9a-f]{64}$/

const fullWidth = (s: string): string =>
  s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))).replace('X', 'Ｘ')
/** The 15-digit legacy form of an 18-digit ID born in the 1900s (no "19", no check digit). */
const legacy = (id: string): string | null => id.slice(6, 8) === '19' ? id.slice(0, 6) + id.slice(8, 17) : null
const jsonEscaped = (s: string, upper = false): string => [...s].map((c) => {
  const hex = c.charCodeAt(0).toString(16).padStart(4, '0')
  return '\\u' + (upper ? hex.toUpperCase() : hex)
}).join('')

t.test('a full scenario leaves no identifier or name in any table or log line', async (t) => {
  const lines: string[] = []
  const stream = { write (line: string): void { lines.push(line) } }
  const { database, keyring, token, as } = await build(t, { logger: { ...loggerOptions('trace'), stream } })
  const tokens: string[] = []
  const call = (claims: TokenClaims) => {
    const bearer = token(claims)
    tokens.push(bearer)
    return as(bearer)
  }
  const admin = call(ADMIN)
  const caller = call(CALLER)
  const auditor = call(AUDITOR)

  const { people } = await loadDemo(database, keyring, 200)
  t.equal(people.length, 200)
  const expect = (label: string, res: { statusCode: number, body: string }, status: number): void => {
    t.equal(res.statusCode, status, label + (res.statusCode === status ? '' : ': ' + res.body.slice(0, 300)))
  }

  // A second client that may ask one question only.
  expect(
    'limited client',
    await admin('POST', '/v1/clients', {
      id: 'limited',
      name: 'Limited',
      questions: ['property.holds'],
      purposes: [DEMO_PURPOSE]
    }),
    201
  )

  // ---- loads over HTTP ----------------------------------------------------------------------
  // Real estate again, as NDJSON, with decorated IDs (full-width, lower-case x, legacy 15 digits).
  let n = 0
  const nd = [...realEstateCsv(people)].slice(1).map((line) => {
    const [id, type, area, on] = line.trim().split(',') as [string, string, string, string]
    const form = n++ % 3
    const sent = form === 0 ? fullWidth(id) : form === 1 ? (legacy(id) ?? id.replace('X', 'x')) : id.replace('X', 'x')
    return (
      JSON.stringify({
        id_number: sent,
        property_type: type,
        area: Number(area),
        registered_on: on,
        owner_phone: '13900000000'
      }) + '\n'
    )
  }).join('')
  const re = await call(stewardOf('realestate'))('PUT', '/v1/connectors/realestate/snapshot?asOf=' + yesterday(), nd, {
    'content-type': 'application/x-ndjson'
  })
  expect('decorated real-estate load', re, 201)
  t.same(re.json().snapshot.ignoredColumns, ['owner_phone'])

  // Household registrations with bad rows: wrong check digits, a name where the ID goes, names with
  // control characters. Far above the 1% limit, so the load fails.
  const household = [...householdCsv(people)]
  const bad = people.slice(0, 12).map((p, i) => i % 3 === 0
    ? `${p.idNumber.slice(0, 17)}${p.idNumber.endsWith('0') ? '1' : '0'},${p.name}\n`
    : i % 3 === 1 ? `${p.name},${p.name}\n` : `${p.idNumber},${p.name}\u202e\n`)
  const failed = await call(stewardOf('household'))('PUT', '/v1/connectors/household/snapshot?asOf=' + yesterday(),
    household.slice(0, 100).join('') + bad.join('') + household.slice(100).join(''), { 'content-type': 'text/csv' })
  expect('failed household load', failed, 422)
  t.equal(failed.json().code, 'REJECT_RATIO_EXCEEDED')
  t.equal(failed.json().rejectedCount, 12)

  // ---- verifications ------------------------------------------------------------------------
  const withX = people.filter((p) => p.idNumber.endsWith('X'))
  const born19 = people.filter((p) => legacy(p.idNumber) !== null)
  t.ok(withX.length > 0 && born19.length > 0, 'the population has IDs with X and IDs with a legacy form')
  /** verification id → the person it was about */
  const about = new Map<string, Person>()
  let cases = 0
  const verify = async (label: string, person: Person, idNumber: string, name: string | undefined, questions: Asked[],
    status = 200, purpose = DEMO_PURPOSE, who = caller): Promise<string[]> => {
    const res = await who(
      'POST',
      '/v1/verifications',
      verification({ idNumber, ...(name === undefined ? {} : { name }), questions, purpose, caseId: 'PRIV-' + ++cases })
    )
    expect(label, res, status)
    if (res.statusCode !== 200) return []
    about.set(res.json().id, person)
    return res.json().answers.map((a: { answer: string }) => a.answer)
  }
  const [p0, p1, p2, p3, p4, p5, p6] = people as [Person, Person, Person, Person, Person, Person, Person]
  const x = withX[0]!
  const old = born19[1]!
  const all = [
    { id: 'identity.name_matches' },
    { id: 'property.holds' },
    { id: 'property.none' },
    { id: 'tax.paid_in_year', params: { year: 2025 } },
    { id: 'income.at_least', params: { year: 2024, min: 10000 } },
    { id: 'insurance.active_on', params: { date: '2025-06-01' } }
  ]
  t.equal((await verify('name and everything', p0, p0.idNumber, p0.name, all))[0], 'yes')
  t.equal(
    (await verify('wrong name', p1, p1.idNumber, p2.name, [{ id: 'identity.name_matches' }]))[0],
    p1.name === p2.name ? 'yes' : 'no'
  )
  t.equal(
    (await verify('full-width ID', p2, fullWidth(p2.idNumber), p2.name, [{ id: 'identity.name_matches' }]))[0],
    'yes'
  )
  t.equal(
    (
      await verify('lower-case x', x, x.idNumber.replace('X', 'x'), x.name, [
        { id: 'identity.name_matches' },
        { id: 'property.holds' }
      ])
    )[0],
    'yes'
  )
  t.equal(
    (
      await verify('legacy 15 digits', old, legacy(old.idNumber)!, old.name, [
        { id: 'identity.name_matches' },
        { id: 'tax.paid_in_year', params: { year: 2024 } }
      ])
    )[0],
    'yes'
  )
  t.equal(
    (
      await verify('ideographic spaces', p3, '\u3000' + p3.idNumber + '\u3000', ' ' + p3.name + ' ', [
        { id: 'identity.name_matches' }
      ])
    )[0],
    'yes'
  )
  await verify('no name', p4, p4.idNumber, undefined, [
    { id: 'property.holds' },
    { id: 'insurance.active_on', params: { date: '2024-01-01' } }
  ])
  await verify('wrong purpose', p5, p5.idNumber, p5.name, [{ id: 'property.holds' }], 403, 'curiosity')
  await verify('unknown question', p5, p5.idNumber, p5.name, [{ id: 'criminal.record' }], 403)
  await verify(
    'question not allowed',
    p6,
    p6.idNumber,
    p6.name,
    [{ id: 'tax.paid_in_year', params: { year: 2025 } }],
    403,
    DEMO_PURPOSE,
    call(callerOf('limited'))
  )
  await verify(
    'allowed question of the limited client',
    p6,
    p6.idNumber,
    undefined,
    [{ id: 'property.holds' }],
    200,
    DEMO_PURPOSE,
    call(callerOf('limited'))
  )
  await verify(
    'wrong check digit',
    p6,
    p6.idNumber.slice(0, 17) + (p6.idNumber.endsWith('0') ? '1' : '0'),
    p6.name,
    [{ id: 'property.holds' }],
    400
  )
  await verify('bad name', p6, p6.idNumber, p6.name + '\u200b', [{ id: 'identity.name_matches' }], 400)
  await verify('name required', p6, p6.idNumber, undefined, [{ id: 'identity.name_matches' }], 400)
  const numeric = await caller('POST', '/v1/verifications', {
    subject: { idNumber: Number(p6.idNumber.slice(0, 15)) },
    questions: [{ id: 'property.holds' }],
    purpose: DEMO_PURPOSE,
    caseId: 'PRIV-num'
  })
  expect('ID as a JSON number', numeric, 400)
  const unknownPerson = makePeople(400, 77).find((q) => !people.some((p) => p.idNumber === q.idNumber))!
  t.same(
    await verify('unknown subject', unknownPerson, unknownPerson.idNumber, undefined, [
      { id: 'property.holds' },
      { id: 'property.none' }
    ]),
    ['no', 'yes']
  )

  // ---- auditors -----------------------------------------------------------------------------
  const search = await auditor('POST', '/v1/audit/subject-search', {
    idNumber: fullWidth(p0.idNumber),
    reason: 'Complaint 2026-17 review'
  })
  expect('subject search', search, 200)
  t.ok(
    search.json().entries.some((e: { kind: string }) => e.kind === 'answer'),
    'the search finds the answers about the subject'
  )
  expect(
    'subject search, bad ID',
    await auditor('POST', '/v1/audit/subject-search', {
      idNumber: p0.idNumber.slice(0, 16),
      reason: 'Complaint 2026-18 review'
    }),
    400
  )
  const entries = await auditor('GET', '/v1/audit/entries?limit=1000')
  expect('entries', entries, 200)
  const one = await auditor('GET', '/v1/audit/entries/' + entries.json().entries.at(-1).index)
  expect('one entry', one, 200)
  const exported = await auditor('GET', '/v1/audit/export?format=jsonl')
  expect('export', exported, 200)
  const history = await admin('GET', '/v1/connectors/household/snapshots')
  expect('history', history, 200)
  t.equal(typeof one.json().leaf, 'string', 'an entry comes with its canonical bytes')
  const responses =
    [re, failed, search, entries, one, exported, history, numeric].map((r) => r.body).join('\n') +
    '\n' +
    Buffer.from(one.json().leaf, 'base64').toString('utf8')

  // ---- the dump -------------------------------------------------------------------------------
  const dump: string[] = []
  const tables = await database.query<{ tablename: string }>(
    `select tablename from pg_tables where schemaname = 'public' order by tablename`
  )
  t.ok(tables.some((r) => r.tablename === 'audit_entries') && tables.some((r) => r.tablename.startsWith('records_s')))
  for (const { tablename } of tables) {
    const rows = await database.query<{ row: string }>(`select t::text as row from "${tablename}" t`)
    for (const r of rows) dump.push(r.row)
    const bytea = await database.query<{ column_name: string }>(
      `select column_name from information_schema.columns
        where table_schema = 'public' and table_name = $1 and data_type = 'bytea'`,
      [tablename]
    )
    for (const { column_name: column } of bytea) {
      for (const r of await database.query<{ v: Uint8Array | null }>(`select "${column}" as v from "${tablename}"`)) {
        if (r.v === null) continue
        const bytes = Buffer.from(r.v)
        dump.push(bytes.toString('utf8'), bytes.toString('hex'))
      }
    }
  }
  const entryBytes = await database.query<{ entry: Uint8Array }>('select entry from audit_entries order by index')
  t.ok(entryBytes.length > 30, 'the audit log has the scenario')
  const dumpText = dump.join('\n')
  t.ok(
    dumpText.includes(keyring.audit.pseudonym(p0.idNumber)) &&
    dumpText.includes(keyring.connector('tax', 1).subjectHash(p0.idNumber).toString('hex')),
    'the dump holds the audit log and the records (pseudonyms and keyed hashes)'
  )
  const logText = lines.join('')
  t.ok(lines.length > 40, `the logger captured the requests (${lines.length} lines)`)
  t.ok(
    lines.some((l) => l.includes('/v1/verifications')) && lines.some((l) => l.includes('/v1/audit/subject-search')),
    'request lines are logged'
  )

  /** What would betray a person: every form of the ID, the name (raw and JSON-escaped), unkeyed hashes of the ID. */
  const probes = (p: Person): string[] => {
    const id = p.idNumber
    const forms = [id, id.slice(0, 17), fullWidth(id), fullWidth(id.slice(0, 17))]
    if (id.endsWith('X')) forms.push(id.slice(0, 17) + 'x')
    const l = legacy(id)
    if (l !== null) forms.push(l, fullWidth(l))
    // A plain SHA-256 of an ID is reversible (design §3): no such hash may appear either.
    const plain = [
      createHash('sha256').update(id).digest('hex'),
      createHash('sha256')
        .update('cn-ric-v1:' + id)
        .digest('hex')
    ]
    return [...forms, p.name, jsonEscaped(p.name), jsonEscaped(p.name, true), ...plain]
  }
  const everyone = [...people, unknownPerson]
  const betrayed = (text: string): number => everyone.filter((p) => probes(p).some((s) => text.includes(s))).length
  // The probes find what they look for: the files and requests of the scenario are full of it.
  t.equal(
    betrayed(nd + household.join('') + bad.join('')),
    people.length,
    'the probes find every person in the files sent'
  )
  for (const [where, text] of [['tables', dumpText], ['logs', logText], ['responses', responses]] as const) {
    const leaks = everyone.filter((p) => probes(p).some((s) => text.includes(s))).map((p) => everyone.indexOf(p))
    t.same(leaks, [], `no ID (18, 17, full-width, x, 15 digits), name or unkeyed hash of anyone in the ${where}`)
  }

  for (const [where, text] of [['tables', dumpText], ['logs', logText]] as const) {
    for (const secret of [
      Buffer.from(TEST_MASTER).toString('hex'),
      Buffer.from(TEST_MASTER).toString('base64'),
      Buffer.from(TEST_SECRET).toString('base64'),
      Buffer.from(TEST_SECRET).toString('hex')
    ]) {
      t.notOk(text.includes(secret), `no key material in the ${where}`)
    }
    t.notOk(tokens.some((tok) => text.includes(tok) || text.includes(tok.split('.')[1]!)), `no token in the ${where}`)
  }

  // ---- keyed hashes: per connector, and apart from the audit pseudonym -----------------------
  const stored = new Map<string, Set<string>>()
  for (const c of CONNECTORS) {
    const rows = await database.query<{ h: string }>(
      `select distinct encode(r.subject_hash, 'hex') as h
        from records r join snapshots s on s.id = r.snapshot_id where s.connector_id = $1`,
      [c]
    )
    stored.set(c, new Set(rows.map((r) => r.h)))
    t.ok(rows.length > 20, `${c} has records`)
  }
  const pseudonyms = new Set(
    (
      await database.query<{ subject: string }>('select distinct subject from audit_entries where subject is not null')
    ).map((r) => r.subject)
  )
  for (const p of people) {
    const hashes = CONNECTORS.map((c) => keyring.connector(c, 1).subjectHash(p.idNumber).toString('hex'))
    const pseudonym = keyring.audit.pseudonym(p.idNumber)
    t.equal(
      new Set([...hashes, pseudonym]).size,
      CONNECTORS.length + 1,
      'one person: a different hash in every connector, and another pseudonym'
    )
  }
  // Every stored hash is one of its connector's keyed hashes, and no hash is in two connectors.
  for (const c of CONNECTORS) {
    const mine = new Set(people.map((p) => keyring.connector(c, 1).subjectHash(p.idNumber).toString('hex')))
    t.ok([...stored.get(c)!].every((h) => mine.has(h)), `${c} stores its own keyed hashes`)
    for (const d of CONNECTORS) {
      if (d === c) continue
      t.equal([...stored.get(c)!].filter((h) => stored.get(d)!.has(h)).length, 0, `${c} and ${d} share no subject hash`)
    }
    t.equal([...stored.get(c)!].filter((h) => pseudonyms.has(h)).length, 0, `${c}'s hashes are not audit pseudonyms`)
  }
  const inAll = people.filter((p) =>
    CONNECTORS.every((c) => stored.get(c)!.has(keyring.connector(c, 1).subjectHash(p.idNumber).toString('hex')))
  )
  t.ok(
    inAll.length > 10,
    `${inAll.length} people are in every connector: the disjointness above is the keys' doing, not the data's`
  )

  // ---- the audit log holds the audit pseudonym of the subject --------------------------------
  const answers = await database.query<{
    verification: string
    subject: string
    entry: Uint8Array
    kind: string
    code: string | null
  }>(
    `select verification, subject, entry, kind, code from audit_entries
      where kind in ('answer', 'refusal') and verification is not null order by index`
  )
  t.ok(answers.filter((a) => a.kind === 'answer').length >= 15)
  for (const a of answers) {
    const entry = JSON.parse(Buffer.from(a.entry).toString('utf8'))
    t.match(a.subject, HEX64)
    t.equal(entry.subject, a.subject, 'the column is the entry\'s subject')
    const person = about.get(a.verification)
    if (a.kind === 'answer') {
      t.ok(person !== undefined, 'the answer belongs to a verification of the scenario')
      t.equal(
        a.subject,
        keyring.audit.pseudonym(person!.idNumber),
        'the subject is the audit pseudonym of the canonical ID'
      )
    } else {
      t.ok(
        [p5, p6].some((p) => keyring.audit.pseudonym(p.idNumber) === a.subject),
        'a refusal names its subject by pseudonym too'
      )
    }
  }
  const searchEntry = await database.query<{ subject: string }>(
    `select subject from audit_entries where kind = 'subject-search'`
  )
  t.same(
    searchEntry.map((e) => e.subject),
    [keyring.audit.pseudonym(p0.idNumber)],
    'the search is logged with the pseudonym; the failed one is not logged'
  )
})

function yesterday (): string {
  return new Date(Date.now() + 8 * 3600_000 - 86400_000).toISOString().slice(0, 10)
}
