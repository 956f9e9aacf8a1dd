/** A table or column name, quoted; only plain lower-case identifiers are accepted. */
export function ident (name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('invalid identifier')
  return '"' + name + '"'
}
