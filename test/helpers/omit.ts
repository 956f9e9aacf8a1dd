/** A copy of `value` without `key`: the body of an update, a claim set missing one claim. */
export function omit<T extends object, K extends keyof T> (value: T, key: K): Omit<T, K> {
  const copy = { ...value }
  delete copy[key]
  return copy
}
