import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { parseListBucketResult, textParts } from '../../src/storage/list-xml.ts'
import { SdkTransport } from '../../src/storage/sdk-transport.ts'

// The fast reader must agree with the SDK's own deserializer. The seam is the HTTP handler:
// both read the same response body, as a server would send it.
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')

function body(keys: string[], options: { truncated?: boolean; token?: string; raw?: (key: string) => string } = {}) {
  const contents = keys
    .map((k, i) => `<Contents><Key>${(options.raw ?? escapeXml)(k)}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;${i.toString(16).padStart(32, '0')}&quot;</ETag><Size>${i * 1000}</Size><Owner><ID>o</ID></Owner><StorageClass>STANDARD</StorageClass></Contents>`)
    .join('')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>${options.truncated ?? false}</IsTruncated>${contents}${options.token ? `<NextContinuationToken>${escapeXml(options.token)}</NextContinuationToken>` : ''}</ListBucketResult>`
}

function serving(xml: string) {
  return new S3Client({
    region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    requestHandler: { handle: async () => ({ response: { statusCode: 200, headers: {}, body: new TextEncoder().encode(xml) } }) } as any,
  })
}

async function sdkPage(xml: string) {
  const out = await serving(xml).send(new ListObjectsV2Command({ Bucket: 'b' }))
  return { objects: (out.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size!, etag: o.ETag!, ...(o.LastModified ? { modified: o.LastModified.getTime() } : {}) })), truncated: Boolean(out.IsTruncated), ...(out.NextContinuationToken ? { nextToken: out.NextContinuationToken } : {}) }
}

const awkward = [
  'plain/key.zip', 'space in key', 'plus+sign', 'percent%20', 'hash#', 'question?', 'star*', `quotes "double" 'single'`, 'dollar$HOME',
  'amp & lt < gt >', 'unicode é 中文 😀', 'tab\there', 'x'.repeat(900), '&amp; literally', 'semi;colon', ' leading and trailing ',
]

test('the fast reader reads awkward keys, sizes, ETags and the token exactly as the SDK does', async () => {
  const keys = [...awkward].sort()
  const xml = body(keys, { truncated: true, token: 'tok/en+=&' })
  const fast = parseListBucketResult(xml)
  assert.ok(fast, 'a plain ListBucketResult is read by the fast reader')
  const sdk = await sdkPage(xml)
  assert.deepEqual(fast, sdk)
  assert.deepEqual(fast.objects.map((o) => o.key), keys)
  assert.equal(fast.nextToken, 'tok/en+=&')
})

test('numeric character references decode like the SDK (control characters, CR)', async () => {
  const xml = body(['a&#x1;b', 'c&#13;d'], { raw: (k) => k })
  const fast = parseListBucketResult(xml)
  assert.ok(fast)
  assert.deepEqual(fast.objects.map((o) => o.key), ['a\u0001b', 'c\rd'])
  assert.deepEqual(fast, await sdkPage(xml))
  // Astral references decode to their character (the SDK's parser drops them).
  assert.deepEqual(parseListBucketResult(body(['e&#128512;f'], { raw: (k) => k }))?.objects.map((o) => o.key), ['e😀f'])
})

test('anything unusual is left to the SDK: prefixes, unknown entities, namespace prefixes, miscounts', () => {
  const withPrefixes = body(['a']).replace('<KeyCount>1</KeyCount>', '<KeyCount>2</KeyCount>').replace('</ListBucketResult>', '<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>')
  assert.equal(parseListBucketResult(withPrefixes), undefined)
  assert.equal(parseListBucketResult(body(['a&nbsp;b'], { raw: (k) => k })), undefined)
  assert.equal(parseListBucketResult(body(['a']).replace(/<(\/?)Contents>/g, '<$1s3:Contents>')), undefined)
  assert.equal(parseListBucketResult(body(['a'], { truncated: true })), undefined, 'truncated without a token')
  assert.equal(parseListBucketResult('<Error><Code>NoSuchBucket</Code></Error>'), undefined)
})

test('listPage reads pages with the fast reader, and falls back to the SDK when it declines', async () => {
  const plain = body(['a', 'b c'], { truncated: true, token: 't' })
  assert.deepEqual(await new SdkTransport(serving(plain)).listPage({ bucket: 'b' }), await sdkPage(plain))
  // A page whose KeyCount counts a common prefix too: the fast reader declines it.
  const declined = body(['x y']).replace('<KeyCount>1</KeyCount>', '<KeyCount>2</KeyCount>').replace('</ListBucketResult>', '<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>')
  assert.equal(parseListBucketResult(declined), undefined)
  const page = await new SdkTransport(serving(declined)).listPage({ bucket: 'b' })
  assert.equal(page.objects.length, 1, 'the SDK read the body the fast reader declined')
  assert.deepEqual(page, await sdkPage(declined))
})

test('a raw carriage return in a key is kept (XML parsers would make it a newline)', async () => {
  const xml = body(['x\ry', 'z\r\nw'], { raw: (k) => k })
  assert.deepEqual((await new SdkTransport(serving(xml)).listPage({ bucket: 'b' })).objects.map((o) => o.key), ['x\ry', 'z\r\nw'])
  assert.deepEqual((await sdkPage(xml)).objects.map((o) => o.key), ['x\ny', 'z\nw'], 'what an XML parser reads instead')
})

test('url-encoded listings (EncodingType=url) are decoded: "+" is a space, %2B a plus', async () => {
  const xml = body(['a%0Db+c%2Bd.txt', '%E4%B8%AD%20x']).replace('<Name>b</Name>', '<Name>b</Name><EncodingType>url</EncodingType>')
  assert.deepEqual((await new SdkTransport(serving(xml)).listPage({ bucket: 'b' })).objects.map((o) => o.key), ['a\rb c+d.txt', '中 x'])
})

test('pages that cannot be trusted are errors, not short listings', async () => {
  const once = (xml: string) => new SdkTransport(serving(xml)).listPage({ bucket: 'b' })
  await assert.rejects(once(body(['a'], { truncated: true })), /truncated but sent no continuation token/)
  await assert.rejects(once(''), /an empty body/)
  await assert.rejects(once('<html><body>502</body></html>'), /not a ListBucketResult/)
  await assert.rejects(once('<Error><Code>InternalError</Code></Error>'), /not a ListBucketResult/)
})

test('a page bigger than one text part reads as the SDK reads it, unicode keys across the cuts included', async () => {
  // 1,000 keys of ~300 bytes each: a ~300 KB body, read in ~64 KB parts.
  const keys = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')} ${'é中😀'.repeat(i % 7)} ${'k'.repeat(i % 200)}`).sort()
  const xml = body(keys, { truncated: true, token: 'next é' })
  const bytes = Buffer.from(xml)
  const parts = textParts(bytes)
  assert.ok(parts.length >= 4, `the body is read in parts (${parts.length})`)
  assert.equal(parts.join(''), xml, 'the parts join to the body, no character split')
  const fast = parseListBucketResult(bytes)
  assert.ok(fast, 'the fast reader reads a body in parts')
  assert.deepEqual(fast, await sdkPage(xml))
  assert.deepEqual(fast, parseListBucketResult(xml))
})

test('Go servers quote ETags with &#34;: read as a quoted ETag', () => {
  const xml = body(['a']).replace(/&quot;/g, '&#34;')
  assert.equal(parseListBucketResult(xml)?.objects[0]?.etag, `"${'0'.repeat(32)}"`)
})

test('a page whose object holds a field twice, or whose root holds one twice, is declined, not read one way or the other', () => {
  const page = body(['a', 'b'])
  assert.ok(parseListBucketResult(page), 'the page as sent')
  assert.equal(parseListBucketResult(page.replace('<Key>a</Key>', '<Key>a</Key><Key>z</Key>')), undefined, 'two keys in one object')
  assert.equal(parseListBucketResult(page.replace('<Owner><ID>o</ID></Owner>', '<Owner><ID>o</ID><Key>z</Key></Owner>')), undefined, 'a key inside the owner')
  assert.equal(parseListBucketResult(page.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated>')), undefined, 'IsTruncated twice')
  assert.equal(parseListBucketResult(page.replace('</ListBucketResult>', '')), undefined, 'no root close: cut short')
  assert.equal(parseListBucketResult(page.replace('<Contents>', '<Contents> ')), undefined, 'white space inside an object: left to the SDK')
})
