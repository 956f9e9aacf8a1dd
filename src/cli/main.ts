/**
 * The `shifou` command (design §5 "CLI"). Commands are described in ./specs (usage, options,
 * examples, environment), which is all that `--help` and the dispatch below need; a command's own
 * module is imported only when it runs, so `shifou load` does not load the server, the database
 * drivers and the embedded PostgreSQL (0.9 s of start-up before it sent a byte).
 *
 * Exit statuses: 0 done, 1 failed (the message says why), 2 bad usage (the message names the fix and
 * the command's --help), 78 invalid configuration; commands may add their own (receipt verify: 3).
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../config.ts'
import { parseCommand, UsageError } from './args.ts'
import { commandHelp, groupHelp, topHelp } from './help.ts'
import { isGroup, type CommandSpec } from './spec.ts'
import { COMMANDS } from './specs/index.ts'
import { tolerateClosedPipes } from './stdio.ts'

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

/** `--help` or `-h` anywhere before a `--`. */
function wantsHelp (argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')
}

/** A word the user typed, repeated in a message only when it looks like a command name. */
function shown (word: string): string {
  return /^[a-z][a-z-]{0,29}$/.test(word) ? `"${word}"` : 'that word'
}

/** Which command the words name; the path of the help to point at when they name none. */
type Resolved = { command: CommandSpec, rest: string[] } | { help: string } | { usage: string, path: string }

function resolve (argv: readonly string[]): Resolved {
  const [word, ...rest] = argv
  if (word === undefined || word === '--help' || word === '-h') return { help: topHelp(COMMANDS, version()) }
  if (word === 'help') return rest.length === 0 ? { help: topHelp(COMMANDS, version()) } : resolve([...rest, '--help'])
  const entries = COMMANDS.filter((e) => (isGroup(e) ? e.name : e.path[0]) === word)
  if (entries.length === 0) {
    const names = [...new Set(COMMANDS.map((e) => isGroup(e) ? e.name : e.path[0]))].join(', ')
    return { usage: `unknown command ${shown(word)}: the commands are ${names}`, path: '' }
  }
  // A command may have a subcommand of its own (`shifou witness`, `shifou witness public-key`).
  const leaves = entries.filter((e): e is CommandSpec => !isGroup(e))
  const deeper = leaves.find((c) => c.path.length === 2 && c.path[1] === rest[0])
  if (deeper !== undefined) return leaf(deeper, rest.slice(1))
  const single = leaves.find((c) => c.path.length === 1)
  if (single !== undefined) return leaf(single, rest)
  const entry = entries.find(isGroup)!
  const [sub, ...subRest] = rest
  const names = entry.subcommands.map((c) => c.path[1]!)
  if (sub === '--help' || sub === '-h') return { help: groupHelp(entry) }
  if (sub === undefined) {
    return { usage: `shifou ${entry.name} needs a command: ${either(names)}`, path: entry.name }
  }
  const command = entry.subcommands.find((c) => c.path[1] === sub)
  if (command === undefined) {
    const usage = `unknown command ${shown(sub)} of shifou ${entry.name}: give ${either(names)}`
    return { usage, path: entry.name }
  }
  return leaf(command, subRest)
}

function leaf (command: CommandSpec, rest: string[]): Resolved {
  return wantsHelp(rest) ? { help: commandHelp(command) } : { command, rest }
}

async function main (argv: string[]): Promise<number> {
  const first = argv[0]
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`shifou ${version()}\n`)
    return 0
  }
  const resolved = resolve(argv)
  if ('help' in resolved) {
    process.stdout.write(resolved.help)
    return 0
  }
  if ('usage' in resolved) return usage(resolved.usage, resolved.path)
  const path = resolved.command.path.join(' ')
  try {
    // Every command's arguments are checked against its description before it starts, also the
    // commands that take none: `shifou serve --port 9090` is refused, not ignored.
    parseCommand(resolved.command, resolved.rest)
    return await resolved.command.run(resolved.rest)
  } catch (err) {
    if (err instanceof UsageError) return usage(err.message, path)
    if (err instanceof ConfigError) {
      process.stderr.write(`shifou ${path}: configuration: ${err.message}\n`)
      return 78
    }
    // A ServiceError's message already says what to do; anything else is reported by its message.
    process.stderr.write(`shifou ${path}: ${(err as Error).message}\n`)
    return 1
  }
}

function usage (message: string, path: string): number {
  const name = path === '' ? 'shifou' : `shifou ${path}`
  process.stderr.write(`${name}: ${message} (see ${name} --help)\n`)
  return 2
}

tolerateClosedPipes()
const code = await main(process.argv.slice(2))
if (code >= 0) process.exitCode = code

/** "a or b", "a, b or c": a group's commands in a sentence. */
function either (names: readonly string[]): string {
  return names.length < 2 ? names.join('') : names.slice(0, -1).join(', ') + ' or ' + names.at(-1)!
}
