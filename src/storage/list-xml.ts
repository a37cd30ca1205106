/**
 * A narrow reader for ListObjectsV2 bodies (ListBucketResult): keys, sizes, ETags, the
 * truncation flag and the continuation token. The SDK's general XML and schema deserializer
 * takes ~27 ms of CPU per 1,000-key page (Node 20), CPU that a small host's copies need; this
 * reads the same fields in ~1.5 ms. It declines (returns undefined) on anything unusual, and
 * the SDK parses that body instead.
 */
export interface ListPage {
  objects: { key: string; size: number; etag: string }[]
  truncated: boolean
  nextToken?: string
}

const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9a-fA-F]+));/g
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
// An ampersand that starts none of the entities above.
const UNUSUAL_TEXT = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/

/**
 * Element text to a string. A raw carriage return is kept as it is: a server that sends one
 * raw sent a key that holds it, and an XML parser's line-end normalisation would turn it into
 * a newline (a key that does not exist).
 */
function decode(text: string): string | undefined {
  if (!text.includes('&')) return text // most keys
  const quoted = quotedEtag(text)
  if (quoted !== undefined) return quoted
  if (UNUSUAL_TEXT.test(text)) return undefined
  return text.replace(ENTITY, (_, named: string | undefined, dec: string | undefined, hex: string | undefined) =>
    named ? NAMED[named]! : String.fromCodePoint(Number.parseInt(dec ?? hex!, dec ? 10 : 16)),
  )
}

/** An ETag in quote entities (`&quot;…&quot;`, or `&#34;…&#34;` as Go servers write it) with no other entity, or undefined. */
function quotedEtag(text: string): string | undefined {
  for (const q of ['&quot;', '&#34;']) {
    if (text.startsWith(q) && text.endsWith(q) && text.indexOf('&', q.length) === text.length - q.length) return `"${text.slice(q.length, -q.length)}"`
  }
  return undefined
}

/** The raw text of the first <tag>…</tag> in xml[from, to), or undefined. Keys never hold "<", so this cannot match inside one. */
function element(xml: string, tag: string, from = 0, to = xml.length): string | undefined {
  const open = xml.indexOf(`<${tag}>`, from)
  if (open < 0 || open >= to) return undefined
  const start = open + tag.length + 2
  const end = xml.indexOf(`</${tag}>`, start)
  return end < 0 || end > to ? undefined : xml.slice(start, end)
}

/**
 * A key of a listing asked with EncodingType=url: form-encoded (AWS sends a space as "+", and
 * a "+" as %2B). Throws on a malformed escape rather than guess a key.
 */
export function decodeUrlKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '))
}

/**
 * A string that holds its own characters. V8 makes a substring of a longer string a view into
 * it, so each key of a page would keep the page's ~64 KB text part alive for as long as the key
 * lives: items planned ahead of the copies held ~11 MB of page text at 50,000 copies.
 */
const ownCopy = (s: string) => (' ' + s).slice(1)

/** Text parts of about this size: V8 makes a string over ~128 KB in its large-object space, ~20× slower per byte. */
const PART_BYTES = 64 * 1024
const CONTENTS_END = Buffer.from('</Contents>')

/**
 * A body as text, cut just after a `</Contents>` every ~64 KB: no element spans two parts, and
 * the cuts fall between characters (the tag is ASCII).
 */
export function textParts(body: Buffer): string[] {
  const parts: string[] = []
  let from = 0
  for (;;) {
    const cut = body.length - from > PART_BYTES ? body.indexOf(CONTENTS_END, from + PART_BYTES) : -1
    if (cut < 0) break
    parts.push(body.toString('utf8', from, cut + CONTENTS_END.length))
    from = cut + CONTENTS_END.length
  }
  parts.push(body.toString('utf8', from))
  return parts
}

/** The raw text of the first <tag>…</tag> in any part. */
function anyElement(parts: string[], tag: string): string | undefined {
  for (const part of parts) {
    const found = element(part, tag)
    if (found !== undefined) return found
  }
  return undefined
}

/** A ListObjectsV2 page from its body (as bytes, or as text in one or more parts), or undefined when this reader declines it. */
export function parseListBucketResult(body: Buffer | string | string[]): ListPage | undefined {
  const parts = Buffer.isBuffer(body) ? textParts(body) : typeof body === 'string' ? [body] : body
  // Namespace-prefixed tags (<s3:Contents>) are valid XML this reader does not expect: the SDK reads those.
  if (!/<ListBucketResult[\s>]/.test(parts[0]!) || parts.some((p) => p.includes(':Contents>') || p.includes(':Key>'))) return undefined
  // Servers that honour EncodingType=url say so; others send keys as they are.
  const urlEncoded = anyElement(parts, 'EncodingType') === 'url'
  const objects: ListPage['objects'] = []
  for (const xml of parts) {
    for (let at = xml.indexOf('<Contents>'); at >= 0; at = xml.indexOf('<Contents>', at)) {
      const end = xml.indexOf('</Contents>', at)
      if (end < 0) return undefined
      const text = decode(element(xml, 'Key', at, end) ?? '')
      const key = urlEncoded && text ? decodeUrlKey(text) : text
      const size = element(xml, 'Size', at, end)
      const etag = decode(element(xml, 'ETag', at, end) ?? '')
      if (!key || etag === undefined || size === undefined || !/^[0-9]+$/.test(size)) return undefined
      objects.push({ key: ownCopy(key), size: Number(size), etag: ownCopy(etag) })
      at = end
    }
  }
  const truncated = anyElement(parts, 'IsTruncated')
  if (truncated !== 'true' && truncated !== 'false') return undefined
  // KeyCount counts keys and common prefixes: a page with prefixes, or one this reader
  // miscounted, goes to the SDK.
  const keyCount = anyElement(parts, 'KeyCount')
  if (keyCount !== undefined && Number(keyCount) !== objects.length) return undefined
  const token = anyElement(parts, 'NextContinuationToken')
  const nextToken = token === undefined ? undefined : decode(token)
  if (truncated === 'true' && !nextToken) return undefined
  return { objects, truncated: truncated === 'true', ...(nextToken ? { nextToken } : {}) }
}
