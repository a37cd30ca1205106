/**
 * A patch laid over a base, as plugin `config` hooks return them: plain objects merge key by
 * key, anything else in the patch (a value, an array, a function) replaces the base's, and an
 * undefined in the patch leaves the base as it was.
 */
export function deepMerge<T extends object>(base: T, patch: object): T {
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue
    const before = merged[key]
    merged[key] = isPlainObject(before) && isPlainObject(value) ? deepMerge(before, value) : value
  }
  return merged as T
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}
