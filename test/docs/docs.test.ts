/**
 * The documentation a clone of the project holds: README.md links every guide in docs/, every
 * relative link and anchor resolves inside the repository (nothing points at ../shared or out of
 * the clone), every error code of src/errors.ts is explained in the API guide, and every variable
 * the configuration reads is in the operations guide.
 */
import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { ERRORS } from '../../src/errors.ts'
import { ROOT } from '../helpers/cli.ts'

const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8')
const guides = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => 'docs/' + f)
const documents = ['README.md', ...guides]

/** GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen. */
function slug (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

function anchors (markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const m = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line)
    if (m === null) continue
    const base = slug(m[1]!)
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** Markdown links [text](target) outside code blocks and code spans. */
function links (markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!)
}

t.test('the README links every guide', async (t) => {
  t.ok(guides.length >= 2, `guides: ${guides.join(', ')}`)
  const readme = links(read('README.md'))
  for (const guide of guides) t.ok(readme.some((l) => l.split('#')[0] === guide), `README.md links ${guide}`)
})

t.test('every relative link and anchor resolves in the clone', async (t) => {
  for (const doc of documents) {
    const text = read(doc)
    t.notOk(/\.\.\/shared|\/work\//.test(text), `${doc} names nothing outside the repository`)
    for (const link of links(text)) {
      if (/^(https?|mailto):/.test(link)) continue
      const [path, anchor] = link.split('#') as [string, string | undefined]
      const target = path === '' ? join(ROOT, doc) : resolve(join(ROOT, dirname(doc)), path)
      t.notOk(relative(ROOT, target).startsWith('..'), `${doc}: ${link} stays inside the repository`)
      t.ok(existsSync(target), `${doc}: ${link} exists`)
      if (anchor !== undefined && existsSync(target) && statSync(target).isFile()) {
        t.ok(anchors(readFileSync(target, 'utf8')).has(anchor), `${doc}: ${link} names a heading`)
      }
    }
  }
})

t.test('the API guide explains every error code', async (t) => {
  const guide = read('docs/api.md')
  const table = guide.slice(guide.indexOf('## 5. Errors and what to do'))
  for (const [code, { status }] of Object.entries(ERRORS)) {
    const row = table.split('\n').find((l) => l.startsWith('|') && l.includes('`' + code + '`'))
    t.ok(row, `${code} has a row`)
    t.match(row ?? '', new RegExp(`^\\| ${status} \\|`), `${code} is listed with its status ${status}`)
  }
})

t.test('the operations guide names every configuration variable', async (t) => {
  const source = read('src/config.ts') + read('src/console/config.ts') + read('src/receipts/certificate-config.ts')
  const names = new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!))
  t.ok(names.size >= 15)
  const guide = read('docs/operations.md')
  for (const name of names) t.ok(guide.includes('`' + name + '`'), name)
  if (source.includes('SHIFOU_MASTER_KEY_V${')) t.match(guide, '`SHIFOU_MASTER_KEY_V2`')
})
