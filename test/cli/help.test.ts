/**
 * `shifou --version`, `--help` and usage mistakes, run as a user runs them (node bin/shifou.js).
 * Every command the CLI knows (src/cli/specs) must answer --help and -h with exit 0, its usage, every
 * option and argument, at least two examples and the environment it reads; an unknown option or a
 * missing argument is one line on standard error naming the fix and the command's --help, exit 2.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isGroup, type CommandSpec } from '../../src/cli/spec.ts'
import { COMMANDS } from '../../src/cli/specs/index.ts'
import { ROOT, shifou as run, type Run } from '../helpers/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'shifou-cli-help-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const shifou = async (args: string[]): Promise<Run> => await run(args, { cwd: dir, timeoutMs: 30_000 })

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const leaves: CommandSpec[] = COMMANDS.flatMap((e) => isGroup(e) ? [...e.subcommands] : [e])

/** The lines of one section of a help text (from its heading to the next blank-line-and-heading). */
function section (text: string, heading: string): string {
  const start = text.indexOf('\n' + heading)
  if (start === -1) return ''
  const rest = text.slice(start + 1)
  const end = rest.search(/\n\n[A-Z][^\n]*:\n/)
  return end === -1 ? rest : rest.slice(0, end)
}

t.test('--version prints the package version', async (t) => {
  for (const flag of ['--version', '-v']) {
    const r = await shifou([flag])
    t.equal(r.code, 0, flag)
    t.equal(r.stdout, `shifou ${version}\n`)
    t.equal(r.stderr, '')
  }
})

t.test('the top-level help lists every command with one line and points at <command> --help', async (t) => {
  const r = await shifou(['--help'])
  t.equal(r.code, 0)
  t.equal(r.stderr, '')
  t.match(r.stdout, /shifou <command> --help/)
  const commands = section(r.stdout, 'Commands:').split('\n')
  for (const c of leaves) {
    const line = commands.find((l) => l.startsWith(`  ${c.path.join(' ')}  `))
    t.ok(line?.includes(c.summary.slice(0, 30)), `${c.path.join(' ')}: one line with its summary`)
  }
  for (const args of [[], ['-h'], ['help']]) {
    const same = await shifou(args)
    t.equal(same.code, 0, args.join(' ') || '(no arguments)')
    t.equal(same.stdout, r.stdout, `shifou ${args.join(' ')} prints the same help`)
  }
})

for (const c of leaves) {
  const name = c.path.join(' ')
  t.test(`shifou ${name} --help`, async (t) => {
    const r = await shifou([...c.path, '--help'])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stderr, '')
    t.ok(r.stdout.startsWith(`shifou ${name} — ${c.summary}\n`), 'it starts with what the command does')
    t.match(section(r.stdout, 'Usage:'), `shifou ${name}`)
    const options = section(r.stdout, 'Options:')
    for (const option of Object.keys(c.options)) t.match(options, `--${option}`, `it explains --${option}`)
    t.match(options, '-h, --help')
    for (const a of c.arguments ?? []) t.match(section(r.stdout, 'Arguments:'), a.name)
    const examples = section(r.stdout, 'Examples:').split('\n')
      .filter((l) => /^ {2}\S/.test(l) && l.includes('shifou '))
    t.ok(examples.length >= 2 && examples.length <= 4, `two to four examples (${examples.length})`)
    for (const e of examples) t.match(e, `shifou ${name}`, 'each example runs this command')
    const environment = section(r.stdout, 'Environment')
    for (const v of c.environment) t.match(environment, v.name, `it names ${v.name}`)
    t.match(section(r.stdout, 'Exit status:'), /\n {2}0 +/)

    // -h and `shifou help <command>` are the same dispatch for every command: one is enough to run.
    if (name === 'receipt verify') {
      const h = await shifou([...c.path, '-h'])
      t.equal(h.code, 0)
      t.equal(h.stdout, r.stdout, '-h is --help')
      const help = await shifou(['help', ...c.path])
      t.equal(help.stdout, r.stdout, `shifou help ${name} is the same`)
    }

    // serve would start a service if the option were ignored; the timeout would then fail the test.
    const unknown = await shifou([...c.path, '--no-such-option'])
    t.equal(unknown.code, 2, 'an unknown option is a usage error')
    t.equal(unknown.stdout, '')
    t.equal(unknown.stderr, `shifou ${name}: unknown option --no-such-option (see shifou ${name} --help)\n`)
  })
}

t.test('groups list their commands', async (t) => {
  for (const g of COMMANDS.filter(isGroup)) {
    const r = await shifou([g.name, '--help'])
    t.equal(r.code, 0, g.name)
    for (const c of g.subcommands) t.match(r.stdout, `shifou ${c.path.join(' ')}`)
  }
  const bare = await shifou(['keys'])
  t.equal(bare.code, 2, 'shifou keys alone names its commands')
  t.match(bare.stderr,
    /^shifou keys: shifou keys needs a command: rotate, list or export \(see shifou keys --help\)\n$/)
  const wrong = await shifou(['keys', 'frobnicate'])
  t.equal(wrong.code, 2)
  t.match(wrong.stderr, /^shifou keys: unknown command "frobnicate" of shifou keys: give rotate, list or export \(see/)
})

t.test('usage mistakes: one line that names the fix, exit 2', async (t) => {
  const tax = ['load', '--connector', 'tax', '--as-of']
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /^shifou: unknown command "frobnicate": the commands are serve, .*\(see shifou --help\)\n$/],
    [['load', 'x.csv'], /^shifou load: --connector ID is required: the connector to load \(its id\) \(see shifou load/],
    [['load', '--conector', 'tax'], /^shifou load: unknown option --conector \(did you mean --connector\?\)/],
    [[...tax, '2026-01-01'], /^shifou load: FILE is missing: /],
    [[...tax, '27.11.2026', 'x.csv'], /^shifou load: --as-of must be a date like 2026-11-27/],
    [[...tax, '2026-01-01', 'missing.csv'], /^shifou load: cannot read FILE missing.csv: no such file/],
    [['load', '--connector', '--as-of', '2026-01-01', 'x.csv'], /^shifou load: --connector needs a value: /],
    [['token', '--role', 'admin'], /^shifou token: --sub SUB is required: /],
    [['token', '--role', 'mayor', '--sub', 'x'], /^shifou token: --role must be one of caller, dept_admin, /],
    [['token', '--role', 'dept_admin', '--sub', 'x'], /^shifou token: --dept DEPT \(the department, for --role/],
    [['token', '--role', 'admin', '--sub', 'x', '--ttl', 'forever'], /^shifou token: --ttl must look like 30s, /],
    [['receipt', 'verify'], /^shifou receipt verify: RECEIPT is missing: the receipt, or - to read it/],
    [['receipt', 'verify', 'x', '--proof=yes'], /^shifou receipt verify: --proof takes no value/],
    [['receipt', 'verify', 'x', '--nonce', 'abc'], /^shifou receipt verify: --id-number and --nonce go together/],
    [['receipt', 'verify', 'x', '--url', 'localhost'], /^shifou receipt verify: --url is not a URL: give one like/],
    [['serve', '--port', '9090'], /^shifou serve: unknown option --port: this setting is the environment variable/],
    [['migrate', 'now'], /^shifou migrate: shifou migrate takes no arguments/]
  ]
  for (const [args, expected] of cases) {
    const r = await shifou(args)
    t.equal(r.code, 2, args.join(' '))
    t.match(r.stderr, expected, args.join(' '))
    t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line')
    t.match(r.stderr, /\(see shifou [a-z ]*--help\)\n$/, 'it points at the help')
    t.equal(r.stdout, '')
  }
  const id = '11010519491231002X'
  const stray = await shifou(['token', '--role', 'admin', '--sub', 'x', id])
  t.equal(stray.code, 2)
  t.notOk(stray.stderr.includes(id), 'a stray argument (it may be an ID number) is not echoed')
})

t.test('serve --help names every variable the configuration reads', async (t) => {
  const source = readFileSync(join(ROOT, 'src/config.ts'), 'utf8')
  const names = new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!))
  if (source.includes('SHIFOU_MASTER_KEY_V${')) names.add('SHIFOU_MASTER_KEY_V2')
  t.ok(names.size >= 15, `found ${names.size} variables in src/config.ts`)
  const r = await shifou(['serve', '--help'])
  for (const name of names) t.match(section(r.stdout, 'Environment'), name, name)
})
