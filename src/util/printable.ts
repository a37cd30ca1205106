// Characters that reorder or hide the text around them in a terminal: bidi controls (U+202E
// turns "gpj.exe" around), zero-width marks, and line and paragraph separators.
const INVISIBLE = /[\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g

/** A key as lakesync prints it: JSON-quoted (controls escaped), with invisible characters as \\uXXXX. */
export function printableKey(key: string): string {
  return JSON.stringify(key).replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
