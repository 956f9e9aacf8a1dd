/**
 * Parsing a command's arguments against its description (spec.ts). Mistakes are usage errors
 * whose one-line message names the fix; the caller adds "see shifou <command> --help" and exits 2.
 * Values the user typed are not echoed, only option names: an argument may be an ID number.
 */
import { parseArgs } from 'node:util'
import type { CommandSpec, Options } from './spec.ts'

export class UsageError extends Error {}

export type Values<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['multiple'] extends true ? string[] : string
}

export interface Parsed<O extends Options> {
  values: Values<O>
  positionals: string[]
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const

function levenshtein (a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1))
      diagonal = above
    }
  }
  return row[b.length]!
}

function unknownOption (raw: string, spec: CommandSpec, options: Options): string {
  // An option name is safe to repeat; anything else (a mistyped value) is not echoed.
  const shown = /^--?[A-Za-z][A-Za-z0-9-]{0,39}$/.test(raw) ? raw : 'an option'
  const typed = raw.replace(/^-+/, '')
  // `--port 9090`, `--data-dir d`: settings of the service are environment variables.
  const variable = typed.toUpperCase().replace(/-/g, '_')
  const setting = spec.environment.find((e) => e.name === variable || e.name === 'SHIFOU_' + variable)
  if (setting !== undefined) {
    return `unknown option ${shown}: this setting is the environment variable ${setting.name} ` +
      `(${setting.name}=… shifou ${spec.path.join(' ')})`
  }
  const near = Object.keys(options)
    .map((name) => ({ name, d: levenshtein(typed, name) }))
    .filter(({ name, d }) => d <= Math.max(1, Math.floor(name.length / 3)) || name.startsWith(typed))
    .sort((x, y) => x.d - y.d)[0]
  return near === undefined ? `unknown option ${shown}` : `unknown option ${shown} (did you mean --${near.name}?)`
}

/**
 * Parses `argv` by the command's options and arguments. A string option takes the next argument
 * as its value even when it begins with "-" (a base64url nonce may), unless that argument is one of
 * the command's own options: then the value was forgotten.
 */
export function parseCommand<O extends Options> (spec: CommandSpec<O>, argv: readonly string[]): Parsed<O> {
  const options: Options = { ...spec.options, ...HELP }
  const config: Record<string, { type: 'string' | 'boolean', short?: string }> = {}
  const ownFlags = new Set<string>()
  for (const [name, o] of Object.entries(options)) {
    config[name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short }
    ownFlags.add(`--${name}`)
    if (o.short !== undefined) ownFlags.add(`-${o.short}`)
  }
  const { tokens } = parseArgs({
    args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true
  })

  const values: Record<string, string | string[] | boolean> = {}
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value)
    if (token.kind !== 'option') continue
    const o = options[token.name]
    if (o === undefined) throw new UsageError(unknownOption(token.rawName, spec, options))
    const name = `--${token.name}`
    if (o.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${name} takes no value: write ${name} alone`)
      values[token.name] = true
    } else {
      if (token.value === undefined || (!token.inlineValue && ownFlags.has(token.value))) {
        throw new UsageError(`${name} needs a value: ${name} ${o.value ?? 'VALUE'} (${o.description})`)
      }
      if (o.multiple === true) values[token.name] = [...(values[token.name] as string[] | undefined ?? []), token.value]
      else values[token.name] = token.value
    }
  }

  for (const [name, o] of Object.entries(spec.options)) {
    if (o.required === true && (values[name] === undefined || values[name] === '')) {
      throw new UsageError(`--${name} ${o.value ?? ''} is required: ${o.description}`.replace(/ {2,}/g, ' '))
    }
  }
  const wanted = spec.arguments ?? []
  if (positionals.length < wanted.length) {
    const missing = wanted[positionals.length]!
    throw new UsageError(`${missing.name} is missing: ${missing.description}`)
  }
  if (positionals.length > wanted.length) {
    throw new UsageError(wanted.length === 0
      ? `shifou ${spec.path.join(' ')} takes no arguments${Object.keys(spec.options).length > 0 ? ' but options' : ''}`
      : `too many arguments: give ${wanted.map((a) => a.name).join(' ')} once (quote a value that has spaces)`)
  }
  return { values: values as Values<O>, positionals }
}

export function required (value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`${what} is required`)
  return value
}
