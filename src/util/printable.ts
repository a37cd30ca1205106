// Characters that reorder or hide the text around them in a terminal: bidi controls (U+202E
// turns "gpj.exe" around), zero-width marks, and line and paragraph separators.
const INVISIBLE = /[\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g

/** A key as lakesync prints it: JSON-quoted (controls escaped), with invisible characters as \\uXXXX. */
export function printableKey(key: string): string {
  return JSON.stringify(key).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * The first `n` UTF-16 units of `text`, one fewer where the cut would fall inside a surrogate
 * pair: text (keys above all) is cut by whole characters only; half an emoji is no key, and
 * encoding it for a request throws "URI malformed".
 */
export function cutText(text: string, n: number): string {
  if (n <= 0) return ''
  if (n >= text.length) return text
  const last = text.charCodeAt(n - 1)
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, n - 1) : text.slice(0, n)
}
