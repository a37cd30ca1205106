/** Single-quotes a word for /bin/sh and for s5cmd's shell-style line splitter: only "'" needs escaping. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`
}
