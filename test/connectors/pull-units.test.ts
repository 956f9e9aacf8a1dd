/**
 * The pure parts of pull connectors (design §14.2): a source URL sealed with AES-256-GCM under a
 * derived key, bound to its connector; cron schedules read in China Standard Time; what of a
 * source may be shown.
 */
import t from 'tap'
import { openSource, sealSource } from '../../src/connectors/pull/secret.ts'
import { cronMatches, parseCron } from '../../src/connectors/pull/cron.ts'
import { checkSource } from '../../src/connectors/pull/source.ts'
import { ShifouError } from '../../src/errors.ts'

const KEY = new Uint8Array(32).fill(3)
const URL_WITH_PASSWORD = 'postgres://reader:s3cret-pw@db.dept.local:5432/registry'

t.test('a sealed URL opens for its connector only, and shows nothing of itself', async (t) => {
  const sealed = sealSource(KEY, 'realestate', URL_WITH_PASSWORD)
  t.match(sealed, /^v1\.[A-Za-z0-9_-]+$/)
  t.notOk(sealed.includes('s3cret') || sealed.includes('reader') || sealed.includes('dept.local'))
  t.not(sealSource(KEY, 'realestate', URL_WITH_PASSWORD), sealed, 'a fresh nonce every time')
  t.equal(openSource(KEY, 'realestate', sealed), URL_WITH_PASSWORD)
  t.throws(() => openSource(KEY, 'tax', sealed), 'bound to its connector')
  t.throws(() => openSource(new Uint8Array(32).fill(4), 'realestate', sealed), 'and to its key')
  const bytes = Buffer.from(sealed.slice(3), 'base64url')
  bytes[20] = bytes[20]! ^ 1
  t.throws(() => openSource(KEY, 'realestate', 'v1.' + bytes.toString('base64url')), 'tampering is found')
  t.throws(() => openSource(KEY, 'realestate', 'v1.'), 'a short one too')
})

t.test('cron schedules in China Standard Time', async (t) => {
  // 02:30 CST is 18:30 UTC the day before.
  const daily = parseCron('30 2 * * *')
  t.ok(cronMatches(daily, new Date('2026-03-01T18:30:00Z')))
  t.ok(cronMatches(daily, new Date('2026-03-01T18:30:59Z')), 'any second of the minute')
  t.notOk(cronMatches(daily, new Date('2026-03-02T02:30:00Z')), 'not 02:30 UTC')
  const weekdays = parseCron('0 */6 * * 1-5')
  t.ok(cronMatches(weekdays, new Date('2026-03-01T16:00:00Z')), 'Monday 00:00 CST is Sunday 16:00 UTC')
  t.notOk(cronMatches(weekdays, new Date('2026-02-28T16:00:00Z')), 'Sunday 00:00 CST')
  t.notOk(cronMatches(weekdays, new Date('2026-03-01T17:00:00Z')), 'not on the hour step')
  const sunday = parseCron('0 0 * * 7')
  t.ok(cronMatches(sunday, new Date('2026-02-28T16:00:00Z')), '7 is Sunday too')
  // Both day fields restricted: either matches (Vixie cron).
  const either = parseCron('0 0 1 * 1')
  t.ok(cronMatches(either, new Date('2026-04-30T16:00:00Z')), 'the 1st (a Friday)')
  t.ok(cronMatches(either, new Date('2026-03-01T16:00:00Z')), 'a Monday')
  t.notOk(cronMatches(either, new Date('2026-03-02T16:00:00Z')), 'a Tuesday the 3rd')
  t.same([...parseCron('5,10-12,50-59/5 * * * *').minutes], [5, 10, 11, 12, 50, 55])
  for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '*/0 * * * *', 'MON * * * *',
    '5-1 * * * *', '@daily', '1-2-3 * * * *', '* * * 13 *', '']) {
    t.throws(() => parseCron(bad), { name: 'CronError' }, bad)
  }
})

t.test('what may be shown of a source, and sources that are refused', async (t) => {
  t.same(checkSource({ engine: 'postgres', url: URL_WITH_PASSWORD, query: ' select * from v ' }),
    { engine: 'postgres', host: 'db.dept.local:5432', database: 'registry', query: 'select * from v' })
  t.same(checkSource({ engine: 'mysql', url: 'mariadb://u:p@10.0.0.5/hr', query: 'select 1' }).host, '10.0.0.5')
  const refused = (engine: 'postgres' | 'mysql', url: string, query = 'select 1'): string => {
    try {
      checkSource({ engine, url, query })
      return 'accepted'
    } catch (err) {
      t.notOk((err as Error).message.includes('s3cret'), 'never the password')
      return (err as ShifouError).code
    }
  }
  t.equal(refused('mysql', URL_WITH_PASSWORD), 'INVALID_DEFINITION', 'a postgres URL for mysql')
  t.equal(refused('postgres', 'postgres://reader:s3cret@host'), 'INVALID_DEFINITION', 'no database')
  t.equal(refused('postgres', 'not a url s3cret'), 'INVALID_DEFINITION')
  t.equal(refused('postgres', URL_WITH_PASSWORD, '   '), 'INVALID_DEFINITION', 'an empty query')
})
