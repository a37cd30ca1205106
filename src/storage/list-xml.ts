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
  contents: { key?: string; size?: string; etag?: string }[]
  /** ListBucketResult's own leaf elements (IsTruncated, KeyCount, EncodingType, …), each at most once. */
  fields: Map<string, string>
}

const SPACE = /^[ \t\r\n]*$/
// What XML allows nowhere in a document: control characters but tab, LF and CR (and "]]>" outside CDATA, checked apart).
const NOT_XML_CHARACTER = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/
const DECLARATION = /^<\?xml\s+version\s*=\s*(["'])1\.\d+\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>$/
const ROOT_ATTRIBUTES = /^(\s+xmlns(:[A-Za-z_][A-Za-z0-9_.-]*)?\s*=\s*("[^"<&]*"|'[^'<&]*'))*\s*$/

/**
 * Walks a ListBucketResult document tag by tag, as a strict XML reader would, and collects the
 * fields a page needs. A document is read only when it is whole: one root, every element closed
 * by its own name in turn, nothing but white space outside the root or between elements that
 * hold elements, and the root closed at the end. A page cut short (a server failing mid-stream
 * ends a chunked body cleanly), a duplicated span or a flipped byte that breaks the structure
 * is declined, never read as a shorter page. Undefined also for what this reader does not
 * expect (namespace prefixes, comments, CDATA, common prefixes, a field twice).
 */
function walk(parts: string[]): RawPage | undefined {
  const page: RawPage = { contents: [], fields: new Map() }
  const open: string[] = []
  let rootClosed = false
  let leafFrom = -1 // where the text of the element just opened starts, until another tag comes
  let current: RawPage['contents'][number] | undefined
  for (const xml of parts) {
    if (NOT_XML_CHARACTER.test(xml) || xml.includes(']]>')) return undefined
    let nextAmp = xml.indexOf('&') // kept ahead of the reading point: one scan of the part in all
    let at = 0
    for (;;) {
      const lt = xml.indexOf('<', at)
      if (lt < 0) {
        if (leafFrom < 0 && !SPACE.test(xml.slice(at))) return undefined // text outside a leaf, or a leaf cut off
        break
      }
      if (leafFrom < 0 && lt > at && !SPACE.test(xml.slice(at, lt))) return undefined
      const first = xml.charCodeAt(lt + 1)
      if (first === 47 /* / */) {
        const name = open.pop()
        const gt = lt + 2 + (name?.length ?? 0)
        if (name === undefined || xml.charCodeAt(gt) !== 62 || !xml.startsWith(name, lt + 2)) return undefined
        if (leafFrom >= 0) {
          if (nextAmp >= 0 && nextAmp < leafFrom) nextAmp = xml.indexOf('&', leafFrom)
          // Text with an "&" is cut here and checked; other text only where the page keeps it.
          const text = nextAmp >= 0 && nextAmp < lt ? xml.slice(leafFrom, lt) : undefined
          if (text !== undefined && UNUSUAL_TEXT.test(text)) return undefined
          if (!leaf(page, open, name, text, xml, leafFrom, lt, current)) return undefined
        }
        if (name === 'Contents' && open.length === 1) current = undefined
        if (!open.length) rootClosed = true
        leafFrom = -1
        at = gt + 1
        continue
      }
      if (first === 63 /* ? */) {
        // The XML declaration: only before the root.
        const gt = xml.indexOf('>', lt)
        if (gt < 0 || open.length || rootClosed || page.contents.length || !DECLARATION.test(xml.slice(lt, gt + 1))) return undefined
        leafFrom = -1
        at = gt + 1
        continue
      }
      if (rootClosed) return undefined
      let end = lt + 1
      while (isNameCharacter(xml.charCodeAt(end))) end++
      const name = xml.slice(lt + 1, end)
      const after = xml.charCodeAt(end)
      let gt = end
      let selfClosing = false
      if (after === 47 /* / */) (selfClosing = true), (gt = end + 1)
      else if (after !== 62 /* > */) {
        // Attributes, on the root only (its xmlns); anything else here (a namespace prefix, "<!") is declined.
        gt = xml.indexOf('>', end)
        if (open.length || gt < 0 || (after !== 32 && after !== 9 && after !== 10 && after !== 13)) return undefined
        selfClosing = xml.charCodeAt(gt - 1) === 47
        if (!ROOT_ATTRIBUTES.test(xml.slice(end, selfClosing ? gt - 1 : gt))) return undefined
      }
      const start = xml.charCodeAt(lt + 1)
      if (xml.charCodeAt(gt) !== 62 || end === lt + 1 || (start >= 48 && start <= 57) || start === 45 || start === 46) return undefined
      if (!open.length && name !== 'ListBucketResult') return undefined
      if (open.length === 1 && name === 'CommonPrefixes') return undefined
      if (open.length === 1 && name === 'Contents') page.contents.push((current = {}))
      if (selfClosing) {
        if (!leaf(page, open, name, '', xml, 0, 0, current)) return undefined
      } else open.push(name)
      leafFrom = selfClosing ? -1 : gt + 1
      at = gt + 1
    }
  }
  return rootClosed ? page : undefined
}

/** Letters, digits, "_", "-" and "." (a name's first character is checked apart): no ":", so a namespace prefix ends the name. */
function isNameCharacter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46
}

/** A leaf element's text (`text`, else xml[from, to)), kept where the page needs it; false when a field comes twice. */
function leaf(page: RawPage, open: string[], name: string, text: string | undefined, xml: string, from: number, to: number, current: RawPage['contents'][number] | undefined): boolean {
  if (open.length === 1) {
    if (page.fields.has(name)) return false
    page.fields.set(name, text ?? xml.slice(from, to))
  } else if (open.length === 2 && current && open[1] === 'Contents') {
    const field = name === 'Key' ? 'key' : name === 'Size' ? 'size' : name === 'ETag' ? 'etag' : undefined
    if (field === undefined) return true
    if (current[field] !== undefined) return false
    current[field] = text ?? xml.slice(from, to)
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
    objects.push({ key: ownCopy(key), size: Number(c.size), etag: ownCopy(etag) })
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
