/**
 * The CSV reader (src/connectors/rows.ts) gives the same records with their line numbers however
 * the upload is cut into chunks: records are read whole, by the quote-aware parser or as runs of
 * quote-free lines that the converter splits (`csvLines`).
 */
import t from 'tap'
import fc from 'fast-check'
import { Readable } from 'node:stream'
import { csvRows, type SourceRow } from '../../src/connectors/rows.ts'

/** Records as { line, cells }, `csvLines` split as the converter splits them (blank lines skipped). */
async function records (
  chunks: string[]
): Promise<{ columns: string[] | null, rows: Array<{ line: number, cells: string[] }>, miscounted: number }> {
  const source = await csvRows(Readable.from(chunks.map((c) => Buffer.from(c))))
  const rows: Array<{ line: number, cells: string[] }> = []
  let miscounted = 0
  const expand = (r: SourceRow): void => {
    if (r.kind === 'csv') rows.push({ line: r.line, cells: r.cells })
    else if (r.kind === 'csvLines') {
      r.text.split('\n').forEach((text, i) => {
        const record = text.endsWith('\r') ? text.slice(0, -1) : text
        if (record !== '') rows.push({ line: r.line + i, cells: record.split(',') })
      })
      if (r.text.split('\n').length !== r.count) miscounted++
    }
  }
  for await (const batch of source.batches) for (const r of batch) expand(r)
  return { columns: source.columns, rows, miscounted }
}

const cell = fc.oneof(
  fc.constantFrom('', 'a', '110105199003071234', '12.5', '张三'),
  fc.constantFrom('"x,y"', '"two\nlines"', '"say ""hi"""', '"a\r\nb"')
)
const line = fc.array(cell, { minLength: 1, maxLength: 4 }).map((cells) => cells.join(','))
const eol = fc.constantFrom('\n', '\r\n')
const file = fc
  .tuple(fc.array(fc.tuple(fc.oneof(line, fc.constant('')), eol), { minLength: 1, maxLength: 40 }), fc.boolean())
  .map(([lines, trailing]) => 'h1,h2,h3\n' + lines.map(([l, e]) => l + e).join('') + (trailing ? 'x,y' : ''))
  .chain((text) => fc.constantFrom('', '\n', '\r\n\n').map((blank) => blank + text))

t.test('the same records and lines whatever the chunks', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      file,
      fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 20 }),
      async (text, cuts) => {
        const whole = await records([text])
        const chunks: string[] = []
        let pos = 0
        for (let i = 0; pos < text.length; i++) {
          const n = cuts[i % cuts.length]!
          chunks.push(text.slice(pos, pos + n))
          pos += n
        }
        const cut = await records(chunks)
        return (
          whole.miscounted === 0 &&
          whole.columns?.join(',') === 'h1,h2,h3' &&
          JSON.stringify(cut) === JSON.stringify(whole)
        )
      }
    ),
    { numRuns: 300 }
  )
  t.pass('300 files, each cut into chunks of 1 to 60 characters')
})

t.test('blank lines before the header are skipped, and the header is the first record after them', async (t) => {
  for (const chunks of [['\n\r\nid,a\n1,x\n2,y\n'], ['\n', '\r\nid,a\n1,', 'x\n2,y\n']]) {
    const { columns, rows } = await records(chunks)
    t.same(columns, ['id', 'a'], JSON.stringify(chunks))
    t.same(rows, [{ line: 4, cells: ['1', 'x'] }, { line: 5, cells: ['2', 'y'] }])
  }
})

t.test('quote-free lines come as runs; line numbers count blank and multi-line records', async (t) => {
  const { columns, rows, miscounted } = await records(['id,a\n1,x\n\n2,"y\nz"\r\n3,w\r\n4,v'])
  t.equal(miscounted, 0, 'each run counts its lines')
  t.same(columns, ['id', 'a'])
  t.same(rows, [
    { line: 2, cells: ['1', 'x'] },
    { line: 4, cells: ['2', 'y\nz'] },
    { line: 6, cells: ['3', 'w'] },
    { line: 7, cells: ['4', 'v'] }
  ])
})
