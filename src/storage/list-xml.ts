import type { ListPage } from '../api/transport.ts'

export type { ListPage }

/**
 * A narrow reader for ListObjectsV2 bodies (ListBucketResult): keys, sizes, ETags, the
 * truncation flag and the continuation token. The SDK's general XML and schema deserializer
 * takes ~27 ms of CPU per 1,000-key page (Node 20), CPU that a small host's copies need; this
 * reads the same fields in ~1.5 ms. It declines (returns undefined) on anything unusual, and
 * the SDK parses that body instead.
 */

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

/**
 * A key of a listing asked with EncodingType=url: form-encoded (AWS sends a space as "+", and
 * a "+" as %2B). Throws on a malformed escape rather than guess a key.
 */
export function decodeUrlKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '))
}

const decodedOrUndefined = (text: string) => {
  try {
    return decodeUrlKey(text)
  } catch {
    return undefined // a malformed escape: the page is declined, not guessed at
  }
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

/** A page's fields as they stand in its document, before decoding. */
interface RawPage {
  contents: { key?: string; size?: string; etag?: string; modified?: string }[]
  /** ListBucketResult's own leaf elements (IsTruncated, KeyCount, EncodingType, …), each at most once. */
  fields: Map<string, string>
}

const SPACE = /^[ \t\r\n]*$/
// What XML allows nowhere in a document: control characters but tab, LF and CR (and "]]>" outside CDATA, checked apart).
const NOT_XML_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/
const DECLARATION = /^<\?xml\s+version\s*=\s*(["'])1\.\d+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>$/
const ROOT_ATTRIBUTES = /^(\s+xmlns(:[A-Za-z_][A-Za-z0-9_.-]*)?\s*=\s*("[^"<&]*"|'[^'<&]*'))*\s*$/

/**
 * Walks a ListBucketResult document as a strict XML reader would and collects the fields a page
 * needs. A document is read only when it is whole: one root, closed at the end, every element
 * closed by its own name, nothing but white space outside the root or between its elements. A
 * page cut short (a server failing mid-stream ends a chunked body cleanly), a duplicated span or
 * a flipped byte that breaks the structure is declined, never read as a shorter page. Each
 * <Contents> is checked whole by one regex (native code: quick from the first page on, before the
 * JIT warms up); the few elements around them are walked one by one. Undefined also for what
 * this reader does not expect (namespace prefixes, comments, CDATA, white space between the
 * elements of a <Contents>, common prefixes, a field twice); the SDK reads those.
 */
function walk(parts: string[]): RawPage | undefined {
  const page: RawPage = { contents: [], fields: new Map() }
  const root = { state: 'before' as 'before' | 'open' | 'closed' }
  for (const xml of parts) {
    // Characters XML allows nowhere, and an "&" that starts no entity this reader decodes: once per part, not per element.
    if (NOT_XML_CHARACTER.test(xml) || xml.includes(']]>') || UNUSUAL_TEXT.test(xml)) return undefined
    let at = 0
    for (;;) {
      const start = xml.indexOf('<Contents>', at)
      if (!rootLevel(xml, at, start < 0 ? xml.length : start, page, root)) return undefined
      if (start < 0) break
      const end = xml.indexOf('</Contents>', start) + '</Contents>'.length
      if (root.state !== 'open' || end < '</Contents>'.length) return undefined
      const contents = contentsOf(xml, start, end)
      if (!contents) return undefined
      page.contents.push(contents)
      at = end
    }
  }
  return root.state === 'closed' ? page : undefined
}

// One <Contents> as servers write it: leaf elements, and elements of leaves (Owner, RestoreStatus),
// with nothing between them. Leaf text holds no "<" (an "&" is checked for the whole part).
const CONTENTS = /^<Contents>(?:<([A-Za-z_][\w.-]*)>(?:[^<]*|(?:<([A-Za-z_][\w.-]*)>[^<]*<\/\2>|<[A-Za-z_][\w.-]*\/>)*)<\/\1>|<[A-Za-z_][\w.-]*\/>)*<\/Contents>$/

/** The key, size and ETag of the <Contents> at xml[start, end), or undefined when it is not whole or holds a field twice. */
function contentsOf(xml: string, start: number, end: number): RawPage['contents'][number] | undefined {
  const text = xml.slice(start, end)
  if (!CONTENTS.test(text)) return undefined
  const contents: RawPage['contents'][number] = {}
  for (const f of CONTENTS_FIELDS) {
    const open = text.indexOf(f.open)
    if (open < 0) continue
    // Once only, anywhere in it (one inside an <Owner> would be another element's).
    if (text.indexOf(f.open, open + 1) >= 0 || text.includes(f.empty)) return undefined
    contents[f.field] = text.slice(open + f.open.length, text.indexOf(f.close, open))
  }
  return contents
}

const FIELD_OF = { Key: 'key', Size: 'size', ETag: 'etag', LastModified: 'modified' } as const
const CONTENTS_FIELDS = (['Key', 'Size', 'ETag', 'LastModified'] as const).map((tag) => ({ open: `<${tag}>`, close: `</${tag}>`, empty: `<${tag}/>`, field: FIELD_OF[tag] }))

// One thing at the root level: the XML declaration, the root's start or end tag, or a leaf of the root.
const ROOT_ITEM = /[ \t\r\n]*(?:(<\?xml[^>]*>)|<ListBucketResult((?:[ \t\r\n][^>]*)?)>|(<\/ListBucketResult>)|<([A-Za-z_][\w.-]*)>([^<]*)<\/\4>|<([A-Za-z_][\w.-]*)\/>)/y

/** The root-level stretch xml[from, to) between <Contents> elements: the declaration, the root's tags and its leaves, in order. */
function rootLevel(xml: string, from: number, to: number, page: RawPage, root: { state: 'before' | 'open' | 'closed' }): boolean {
  ROOT_ITEM.lastIndex = from
  while (ROOT_ITEM.lastIndex < to) {
    const at = ROOT_ITEM.lastIndex
    if (SPACE.test(xml.slice(at, to))) return true
    const m = ROOT_ITEM.exec(xml)
    if (!m || ROOT_ITEM.lastIndex > to) return false
    const [, declaration, attributes, close, name, text, empty] = m
    if (declaration !== undefined) {
      if (root.state !== 'before' || page.fields.size || !DECLARATION.test(declaration)) return false
    } else if (attributes !== undefined) {
      if (root.state !== 'before' || (attributes && !ROOT_ATTRIBUTES.test(attributes))) return false
      root.state = 'open'
    } else if (close !== undefined) {
      if (root.state !== 'open') return false
      root.state = 'closed'
    } else {
      const field = name ?? empty!
      if (root.state !== 'open' || field === 'Contents' || field === 'CommonPrefixes' || page.fields.has(field)) return false
      page.fields.set(field, text ?? '')
    }
  }
  return true
}

/** A ListObjectsV2 page from its body (as bytes, or as text in one or more parts), or undefined when this reader declines it. */
export function parseListBucketResult(body: Buffer | string | string[]): ListPage | undefined {
  const parts = Buffer.isBuffer(body) ? textParts(body) : typeof body === 'string' ? [body] : body
  const page = walk(parts)
  if (!page) return undefined
  // Servers that honour EncodingType=url say so; others send keys as they are.
  const urlEncoded = page.fields.get('EncodingType') === 'url'
  const objects: ListPage['objects'] = []
  for (const c of page.contents) {
    const text = c.key === undefined ? undefined : decode(c.key)
    const key = urlEncoded && text ? decodedOrUndefined(text) : text
    const etag = decode(c.etag ?? '')
    if (!key || etag === undefined || c.size === undefined || !/^[0-9]+$/.test(c.size)) return undefined
    const modified = c.modified === undefined ? NaN : Date.parse(c.modified)
    objects.push({ key: ownCopy(key), size: Number(c.size), etag: ownCopy(etag), ...(Number.isFinite(modified) ? { modified } : {}) })
  }
  const truncated = page.fields.get('IsTruncated')
  if (truncated !== 'true' && truncated !== 'false') return undefined
  // KeyCount counts keys and common prefixes: a page this reader miscounted goes to the SDK.
  const keyCount = page.fields.get('KeyCount')
  if (keyCount !== undefined && Number(keyCount) !== objects.length) return undefined
  const token = page.fields.get('NextContinuationToken')
  const nextToken = token === undefined ? undefined : decode(token)
  if (truncated === 'true' && !nextToken) return undefined
  return { objects, truncated: truncated === 'true', ...(nextToken ? { nextToken } : {}) }
}
