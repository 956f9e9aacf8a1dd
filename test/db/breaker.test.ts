import t from 'tap'
import { Breaker } from '../../src/db/breaker.ts'

t.test('closed lets everything through; open refuses, with one trial per retry interval', async (t) => {
  let now = 1000
  const breaker = new Breaker({ retryMs: 250, now: () => now })
  t.equal(breaker.admit(), 'go')
  breaker.failed()
  t.ok(breaker.isOpen)
  t.equal(breaker.admit(), 'refuse', 'refused at once after a failure')
  now += 249
  t.equal(breaker.admit(), 'refuse', 'still within the retry interval')
  now += 1
  t.equal(breaker.admit(), 'trial', 'one trial once the interval has passed')
  t.equal(breaker.admit(), 'refuse', 'and only one at a time')
  breaker.failed()
  now += 100
  t.equal(breaker.admit(), 'refuse', 'a failed trial starts a new interval')
  now += 150
  t.equal(breaker.admit(), 'trial')
  breaker.answered()
  t.notOk(breaker.isOpen)
  t.equal(breaker.admit(), 'go', 'an answer closes it')
  t.equal(breaker.opened, 1, 'opened once (a failed trial does not count again)')
})

t.test('a trial that never reached the server lets the next one try at once', async (t) => {
  let now = 0
  const breaker = new Breaker({ retryMs: 250, now: () => now })
  breaker.failed()
  now = 300
  t.equal(breaker.admit(), 'trial')
  breaker.withdraw()
  t.equal(breaker.admit(), 'trial')
})

t.test('an answer to a statement sent before the failure closes it too', async (t) => {
  const breaker = new Breaker()
  breaker.failed()
  t.equal(breaker.admit(), 'refuse')
  breaker.answered()
  t.equal(breaker.admit(), 'go')
})

t.test('a statement without an answer opens it only if no other statement got one lately', async (t) => {
  let now = 0
  const breaker = new Breaker({ aliveMs: 1000, now: () => now })
  breaker.stalled()
  t.ok(breaker.isOpen, 'nothing has answered: the server is not answering')
  breaker.answered()
  now = 500
  breaker.stalled()
  t.notOk(breaker.isOpen, 'another statement was answered 500 ms ago: the server is up, only slow for this one')
  now = 1500
  breaker.stalled()
  t.ok(breaker.isOpen, 'no answer for a second: open')
})
