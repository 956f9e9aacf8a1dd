/** Small helpers shared by the CLI commands. */
import { parseArgs, type ParseArgsConfig } from 'node:util'

export class UsageError extends Error {}

type Parsed<T extends NonNullable<ParseArgsConfig['options']>> =
  ReturnType<typeof parseArgs<{ options: T, allowPositionals: boolean, args: string[] }>>

export function parse<T extends NonNullable<ParseArgsConfig['options']>> (
  argv: string[],
  options: T,
  allowPositionals = false
): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}

export function required (value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`)
  return value
}
