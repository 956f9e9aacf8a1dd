/**
 * What a command is, as data: its usage, options, arguments, examples and the environment it reads.
 * One description serves both `shifou <command> --help` and the parsing of its arguments, so an
 * option cannot be accepted without being explained, nor explained without being accepted.
 * These descriptions import nothing heavy: `shifou load` starts without loading the server.
 */

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** A one-letter alias (`-o`). */
  short?: string
  /** The value's placeholder in the help (`URL`, `FILE`); string options only. */
  value?: string
  description: string
  /** Refused as a usage error when absent. */
  required?: boolean
  /** May be given several times (string options only); the values come as an array. */
  multiple?: boolean
}

export interface ArgumentSpec {
  name: string
  description: string
}

export interface Example {
  command: string
  /** What it does, in a sentence. */
  explains: string
}

export interface EnvironmentSpec {
  name: string
  description: string
}

export type Options = Record<string, OptionSpec>

export interface CommandSpec<O extends Options = Options> {
  /** The words after `shifou`: `['receipt', 'verify']`. */
  path: readonly string[]
  /** One line for the list of commands. */
  summary: string
  /** The usage lines, each after `shifou `. */
  usage: readonly string[]
  /** What it does, in paragraphs (`\n\n` between them). */
  description: string
  /** Positional arguments, all required, in order. */
  arguments?: readonly ArgumentSpec[]
  options: O
  examples: readonly Example[]
  environment: readonly EnvironmentSpec[]
  /** Exit statuses and what they mean. */
  exit: ReadonlyArray<readonly [number, string]>
  /** Runs the command; its module is imported only now. Returns the exit status (-1: keep running). */
  run: (argv: string[]) => Promise<number>
}

/** A word that groups subcommands (`shifou keys rotate`, `shifou keys list`). */
export interface GroupSpec {
  name: string
  summary: string
  description: string
  subcommands: readonly CommandSpec[]
}

export type Entry = CommandSpec | GroupSpec

export function isGroup (entry: Entry): entry is GroupSpec {
  return 'subcommands' in entry
}

/** Keeps the literal option names of a command for typed parsing. */
export function defineCommand<O extends Options> (spec: CommandSpec<O>): CommandSpec<O> {
  return spec
}
