// The listing reader on spoiled pages: real ListObjectsV2 bodies from versitygw and moto
// (test/fixtures/list-pages, keys with spaces, "+", "%", quotes, CR, emoji), cut short, with a
// span duplicated, or with bytes flipped. Whatever the reader accepts is exactly the original
// page, or exactly what a strict XML parser (saxes) reads from the spoiled body when that body
// is still a whole document (a flip inside a key's text makes another valid key): never a page
// with keys missing or invented.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { SaxesParser } from 'saxes'
import { decodeUrlKey, parseListBucketResult, type ListPage } from '../../src/storage/list-xml.ts'
import { ROOT } from '../helpers/paths.ts'

const DIR = path.join(ROOT, 'test/fixtures/list-pages')
const PAGES = readdirSync(DIR).filter((f) => f.endsWith('.xml')).map((f) => ({ name: f, body: readFileSync(path.join(DIR, f)) }))

/** The page a strict XML reader finds in `text`, or undefined when the text is no whole document. */
function strictPage(text: string): ListPage | undefined {
  const parser = new SaxesParser({ xmlns: false })
  const stack: string[] = []
  const fields = new Map<string, string>()
  const contents: Record<string, string>[] = []
  let buffer = ''
  let failed = false
  parser.on('error', () => (failed = true))
  parser.on('opentag', (t) => {
    stack.push(t.name)
    buffer = ''
    if (stack.length === 2 && t.name === 'Contents') contents.push({})
  })
  parser.on('text', (t) => (buffer += t))
  parser.on('closetag', (t) => {
    if (stack.length === 2) fields.set(t.name, buffer)
    if (stack.length === 3 && stack[1] === 'Contents') contents.at(-1)![t.name] = buffer
    stack.pop()
    buffer = ''
  })
  // S3 sends a key's control characters as references (&#x1;), which XML 1.0 forbids: they pass
  // through the parser as private-use characters, and are mapped back after it.
  const CONTROL_REF = /&#(?:x0*([1-8bcefBCEF]|1[0-9a-fA-F])|0*([1-8]|1[124-9]|2[0-9]|3[01]));/g
  const shifted = text.replace(CONTROL_REF, (_, hex: string | undefined, dec: string | undefined) => `&#${0xe000 + Number.parseInt(hex ?? dec!, hex ? 16 : 10)};`)
  const unshift = (s: string) => s.replace(/[\ue001-\ue01f]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xe000))
  try {
    parser.write(shifted).close()
  } catch {
    return undefined
  }
  if (failed) return undefined
  const url = fields.get('EncodingType') === 'url'
  try {
    const objects = contents.map((c) => {
      const modified = c.LastModified === undefined ? NaN : Date.parse(c.LastModified)
      return { key: unshift(url ? decodeUrlKey(c.Key ?? '') : c.Key ?? ''), size: Number(c.Size), etag: unshift(c.ETag ?? ''), ...(Number.isFinite(modified) ? { modified } : {}) }
    })
    const token = fields.get('NextContinuationToken')
    return { objects, truncated: fields.get('IsTruncated') === 'true', ...(token ? { nextToken: token } : {}) }
  } catch {
    return undefined
  }
}

/** A seeded generator, so a failure names a case that can be run again. */
function random(seed: number) {
  let state = seed
  return (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), Math.floor((state / 2 ** 31) * n))
}

const MUTATIONS = {
  cut: (b: Buffer, r: (n: number) => number) => b.subarray(0, r(b.length)),
  duplicate: (b: Buffer, r: (n: number) => number) => {
    const from = r(b.length)
    const span = b.subarray(from, from + 1 + r(400))
    const at = r(b.length)
    return Buffer.concat([b.subarray(0, at), span, b.subarray(at)])
  },
  flip: (b: Buffer, r: (n: number) => number) => {
    const out = Buffer.from(b)
    for (let i = 0, n = 1 + r(3); i < n; i++) {
      const at = r(out.length)
      out[at] = out[at]! ^ (1 << r(8))
    }
    return out
  },
}

test('the real pages read whole, as the strict parser reads them', () => {
  for (const { name, body } of PAGES) {
    const page = parseListBucketResult(body)
    assert.ok(page, `${name} is read by the fast reader`)
    const strict = strictPage(body.toString('utf8'))!
    // A raw CR is the one place the two differ on purpose: XML folds it into a newline, the key holds a CR.
    assert.deepEqual(page.objects.map((o) => o.key.replace(/\r/g, '\n')), strict.objects.map((o) => o.key.replace(/\r/g, '\n')), name)
    assert.ok(page.objects.length >= 15, name)
  }
})

for (const [kind, mutate] of Object.entries(MUTATIONS)) {
  test(`${kind}: every page the reader accepts is the original or what the spoiled document really says`, () => {
    let accepted = 0
    let refused = 0
    for (const { name, body } of PAGES) {
      const original = parseListBucketResult(body)!
      for (let seed = 1; seed <= 400; seed++) {
        const spoiled = mutate(body, random(seed * 7919 + name.length))
        const page = parseListBucketResult(spoiled)
        if (!page) {
          refused++
          continue
        }
        accepted++
        if (JSON.stringify(page) === JSON.stringify(original)) continue
        const strict = strictPage(spoiled.toString('utf8'))
        assert.ok(strict, `${name}, ${kind} seed ${seed}: accepted a body that is no whole document (${page.objects.length} of ${original.objects.length} keys)`)
        // A raw CR aside (XML folds it into a newline; the reader keeps the key's CR).
        const fold = (p: ListPage) => p.objects.map((o) => ({ ...o, key: o.key.replace(/\r/g, '\n') }))
        assert.deepEqual(fold(page), fold(strict), `${name}, ${kind} seed ${seed}: keys, sizes or ETags differ from the document's`)
        assert.deepEqual([page.truncated, page.nextToken], [strict.truncated, strict.nextToken], `${name}, ${kind} seed ${seed}`)
      }
    }
    assert.ok(refused > 0, 'some spoiled pages are refused')
    if (kind === 'cut') assert.ok(accepted <= PAGES.length * 4, `a cut page is accepted only when the cut falls in the trailing white space (${accepted})`)
  })
}
