/** Keys that break naive tools: shell and URL metacharacters, globs, quotes, unicode, a 900-byte key. */
export function awkwardKeys(): string[] {
  // The long key is split into path segments under 255 bytes: file-backed servers store keys as paths.
  const segment = (c: string) => c.repeat(220)
  const long = `special/long/${segment('a')}/${segment('b')}/${segment('c')}/${segment('d').slice(0, 900 - 13 - 3 * 221 - 4)}.zip`
  return [
    'special/with space.zip',
    'special/ leading and trailing space .zip',
    'special/plus+sign.zip',
    'special/percent%20literal%.zip',
    'special/hash#tag.zip',
    'special/question?mark.zip',
    'special/star*glob.zip',
    'special/[brackets]{braces}.zip',
    "special/single'quote.zip",
    'special/double"quote.zip',
    'special/dollar$HOME.zip',
    'special/back\\slash.zip',
    'special/semi;amp&pipe|tick`.zip',
    'special/tilde~caret^.zip',
    'special/unicode-é-ü-中文-🚀.zip',
    'special/equals=comma,colon:at@.zip',
    long,
  ]
}
