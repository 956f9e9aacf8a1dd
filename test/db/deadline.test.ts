/**
 * A request's own deadline (src/db/timeouts.ts, design §14.5): the work's result when it comes in
 * time, DATABASE_UNAVAILABLE at the deadline when it does not, and at once — ahead of any timer — when
 * the deadline has already passed. The work itself goes on, and its late failure is no unhandled
 * rejection.
 */
import t from 'tap'
import { beforeDeadline, requestDeadline } from '../../src/db/timeouts.ts'
import { isShifouError } from '../../src/errors.ts'

const later = <T>(ms: number, value: T): Promise<T> => new Promise((resolve) => setTimeout(resolve, ms, value))
const code = (err: unknown): string | null => isShifouError(err) ? err.code : null

t.test('the deadline of a request is its arrival plus the timeout; none without one', async (t) => {
  const at = requestDeadline(5000, 1200)!
  t.ok(Math.abs(at - (Date.now() + 3800)) <= 5, 'arrived 1.2 s ago: 3.8 s left')
  t.equal(requestDeadline(null, 1200), null, 'PGlite: no deadline')
})

t.test('work that ends in time gives its result, or its own error', async (t) => {
  t.equal(await beforeDeadline(Date.now() + 1000, later(10, 'answer')), 'answer')
  t.equal(await beforeDeadline(null, later(10, 'answer')), 'answer', 'no deadline: the work decides')
  await t.rejects(beforeDeadline(Date.now() + 1000, Promise.reject(new Error('its own'))), { message: 'its own' })
})

t.test('work still running at the deadline: DATABASE_UNAVAILABLE then, not when it ends', async (t) => {
  const started = Date.now()
  let failedLate = false
  const work = later(300, null).then(() => { failedLate = true; throw new Error('after the deadline') })
  const err = await beforeDeadline(started + 50, work).catch((e: unknown) => e)
  const took = Date.now() - started
  t.equal(code(err), 'DATABASE_UNAVAILABLE')
  t.ok(took >= 45 && took < 250, `refused after ${took} ms, at the deadline (50 ms)`)
  await later(350, null)
  t.ok(failedLate, 'the work went on and failed later, unobserved (no unhandled rejection)')
})

t.test('a deadline already past is refused at once, ahead of any timer', async (t) => {
  const order: string[] = []
  setTimeout(() => order.push('timer'), 0)
  const work = later(1000, 'too late')
  await beforeDeadline(Date.now() - 1, work).catch((err: unknown) => { order.push(code(err) ?? 'other') })
  t.same(order, ['DATABASE_UNAVAILABLE'], 'refused in this turn, before a timer due now')
  await later(5, null)
  t.same(order, ['DATABASE_UNAVAILABLE', 'timer'])
})
