/** StatementBatcher (src/db/batch.ts): one statement for the requests of one moment. */
import t from 'tap'
import { StatementBatcher } from '../../src/db/batch.ts'

t.test('items of one turn go together; items handed in while a batch is out go in the next', async (t) => {
  const batches: number[][] = []
  let release: () => void = () => {}
  const b = new StatementBatcher<number, string>(async (items) => {
    batches.push(items)
    if (batches.length === 1) await new Promise<void>((resolve) => { release = resolve })
    return items.map((i) => 'r' + i)
  })
  const first = [0, 1].map(async (i) => await b.submit(i))
  t.same(batches, [], 'nothing leaves before the end of the turn')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[0, 1]], 'the items of one turn leave together')
  const rest = [2, 3, 4].map(async (i) => await b.submit(i))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(batches, [[0, 1]], 'while a batch is out, the others wait')
  release()
  t.same(await Promise.all(first), ['r0', 'r1'])
  t.same(await Promise.all(rest), ['r2', 'r3', 'r4'], 'each item gets its own result')
  t.same(batches, [[0, 1], [2, 3, 4]], 'the items that waited went in one batch')
})

t.test('a batch is at most maxBatch items', async (t) => {
  const sizes: number[] = []
  const b = new StatementBatcher<number, number>(
    async (items) => {
      sizes.push(items.length)
      return items
    },
    { maxBatch: 3 }
  )
  const all = await Promise.all(Array.from({ length: 10 }, async (_, i) => await b.submit(i)))
  t.same(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  t.same(sizes, [3, 3, 3, 1], 'batches of three, then the rest')
})

t.test('a failed statement rejects the items of its batch only; a short answer is a failure', async (t) => {
  let call = 0
  const b = new StatementBatcher<number, number>(async (items) => {
    call++
    if (call === 1) throw new Error('database down')
    if (call === 2) return items.slice(1)
    return items
  })
  await t.rejects(b.submit(1), /database down/)
  await t.rejects(b.submit(2), /returned 0 results for 1 items/)
  t.equal(await b.submit(3), 3, 'the next batch is answered')
})
