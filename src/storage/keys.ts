import { cutText } from '../util/printable.ts'

/**
 * S3 lists keys in UTF-8 byte order. JavaScript's `<` compares UTF-16 code units, which
 * disagrees for characters above U+FFFF against U+E000..U+FFFF; code point order equals
 * UTF-8 byte order, so compare by code points.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Only surrogates (0xD800-0xDFFF) sort differently as code points.
    if (x >= 0xd800 && x <= 0xdfff && y >= 0xd800 && y <= 0xdfff) return x - y
    if (x >= 0xd800 && x <= 0xdfff) return y >= 0xe000 ? 1 : x - y
    if (y >= 0xd800 && y <= 0xdfff) return x >= 0xe000 ? -1 : x - y
    return x - y
  }
  return a.length - b.length
}

/** `key` without its last character (a whole code point): a proper prefix, which lists just before it. */
export function withoutLastCharacter(key: string): string {
  return cutText(key, key.length - 1)
}

/**
 * A key with an empty, "." or ".." path segment (a//b, ./x, a/../b, /x), or a backslash (a\b,
 * which SeaweedFS lists as a/b): a server that keeps keys as file paths may store it under
 * another key and still answer a HEAD of it, so only a listing shows whether the destination
 * holds this exact key.
 */
export const pathAmbiguous = (key: string): boolean => ODD_SEGMENT.test(key)

/** Where a key's first odd segment (empty, "." or "..", or holding a backslash) starts (the folder above it ends there), or -1. */
export function oddSegmentAt(key: string): number {
  const m = ODD_SEGMENT.exec(key)
  return m ? m.index + m[1]!.length : -1
}

// A segment that is empty (but the last: "dir/" is a plain key), "." or "..", or holds a
// backslash: one native test per copy.
const ODD_SEGMENT = /(^|\/)(?:\/|\.\.?(?:\/|$)|[^/]*\\)/
