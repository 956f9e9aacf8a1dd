/**
 * The text of `shifou --help`, `shifou <group> --help` and `shifou <command> --help`, rendered from
 * the commands' descriptions (spec.ts). Prose is wrapped at 80 columns; commands in examples are
 * never wrapped, so that they can be copied as they stand.
 */
import { isGroup, type CommandSpec, type Entry, type GroupSpec } from './spec.ts'

const WIDTH = 80

/** Wraps `text` to WIDTH for a column that starts `indent` characters in; later lines are indented. */
function wrap (text: string, indent: number): string {
  const lines: string[] = []
  let line = ''
  const room = WIDTH - indent
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  lines.push(line)
  return lines.join('\n' + ' '.repeat(indent))
}

function paragraphs (text: string): string {
  return text.split(/\n\n+/).map((p) => wrap(p, 0)).join('\n\n')
}

/** Two columns: the term, and its description wrapped beside it (or below it when the term is long). */
function table (rows: ReadonlyArray<readonly [string, string]>, column = 24): string {
  return rows.map(([term, description]) => {
    const left = '  ' + term
    if (left.length + 2 > column) return left + '\n' + ' '.repeat(column) + wrap(description, column)
    return left.padEnd(column) + wrap(description, column)
  }).join('\n')
}

export function commandHelp (spec: CommandSpec): string {
  const name = 'shifou ' + spec.path.join(' ')
  const options = Object.entries(spec.options).map(([key, o]) => {
    const short = o.short === undefined ? '' : `-${o.short}, `
    const term = `${short}--${key}${o.type === 'string' ? ' ' + (o.value ?? 'VALUE') : ''}`
    const notes = (o.required === true ? '(required) ' : '') + (o.multiple === true ? '(repeatable) ' : '')
    return [term, notes + o.description] as const
  })
  options.push(['-h, --help', 'show this help'])
  const parts = [
    `${name} — ${spec.summary}`,
    'Usage:\n' + spec.usage.map((u) => '  shifou ' + u).join('\n'),
    paragraphs(spec.description)
  ]
  if (spec.arguments !== undefined && spec.arguments.length > 0) {
    parts.push('Arguments:\n' + table(spec.arguments.map((a) => [a.name, a.description] as const)))
  }
  parts.push('Options:\n' + table(options))
  parts.push('Examples:\n' + spec.examples.map((e) => `  ${e.command}\n      ${wrap(e.explains, 6)}`).join('\n\n'))
  parts.push('Environment (also read from a .env file in the working directory):\n' +
    (spec.environment.length === 0 ? '  none' : table(spec.environment.map((e) => [e.name, e.description] as const))))
  parts.push('Exit status:\n' + table(spec.exit.map(([code, meaning]) => [String(code), meaning] as const), 8))
  return parts.join('\n\n') + '\n'
}

export function groupHelp (group: GroupSpec): string {
  return [
    `shifou ${group.name} — ${group.summary}`,
    'Usage:\n' + group.subcommands.map((c) => '  shifou ' + c.usage[0]).join('\n'),
    paragraphs(group.description),
    'Commands:\n' + table(group.subcommands.map((c) => [c.path.join(' '), c.summary] as const)),
    `Run \`shifou ${group.name} <command> --help\` for a command's options and examples.`
  ].join('\n\n') + '\n'
}

export function topHelp (entries: readonly Entry[], version: string): string {
  const rows = entries.flatMap((e) => isGroup(e)
    ? e.subcommands.map((c) => [c.path.join(' '), c.summary] as const)
    : [[e.path.join(' '), e.summary] as const])
  return [
    `shifou ${version} — privacy-preserving yes/no verification (是否)`,
    'Usage:\n  shifou <command> [options]\n' +
    '  shifou <command> --help     what a command does, its options, examples and environment',
    'Commands:\n' + table(rows, 22),
    'Options:\n' + table([['-h, --help', 'show this help'], ['-v, --version', 'print the version']], 22),
    paragraphs('Every command reads the same environment as the service, and a .env file in the working ' +
      'directory; each command\'s --help names the variables it uses. Commands that talk to a running ' +
      'service take its address from --url, else SHIFOU_URL, else http://127.0.0.1:$PORT (PORT 8080 by ' +
      'default). The guides are docs/api.md and docs/operations.md in the package.')
  ].join('\n\n') + '\n'
}
