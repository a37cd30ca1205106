// The transport contract: what lakesync asks of S3 (api/transport.ts), checked through one
// implementation against one server. A child process, so that it runs as lakesync does: on the
// AWS-shaped bed it runs under the bed's `wrap` (S3's host names resolve to the bed) with the
// bed's CA trusted through AWS_CA_BUNDLE, and it is given no endpoint there.
//   CONTRACT='<json: { implementation, connection, bucket, region? }>' node --import tsx test/helpers/transport-contract.ts
// (in the environment, not on the command line: the connection holds a secret, and command lines are visible to every user)
// Prints one line per check ("ok <name>" or "not ok <name>: <why>") and exits 1 if any failed.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { ConnectionConfig } from '../../src/api/config.ts'
import type { S3Transport } from '../../src/api/transport.ts'
import { RequestCounter } from '../../src/storage/meters.ts'
import { SdkTransport } from '../../src/storage/sdk-transport.ts'
import { LeanTransport } from '../../src/storage/lean-transport.ts'
import { classify } from '../../src/storage/errors.ts'
import { compareKeys } from '../../src/storage/keys.ts'
import { awkwardKeys } from './keys.ts'

const { implementation, connection, bucket, region } = JSON.parse(process.env.CONTRACT!) as { implementation: 'sdk' | 'lean'; connection: ConnectionConfig; bucket: string; region?: string }
const counter = new RequestCounter()
const sdk = SdkTransport.open(connection, { counter, maxAttempts: 2 })
const t: S3Transport = implementation === 'sdk' ? sdk : new LeanTransport(sdk, { meters: { counter }, maxSockets: 8, timeoutMs: 30_000 })
const signal = new AbortController().signal
const root = `contract-${implementation}-${Date.now()}/`
const MiB = 1024 ** 2
const body = (key: string) => Buffer.from(`bytes of ${key}\n`)
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const md5 = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`
const read = async (stream: Readable) => Buffer.concat(await stream.toArray())
const keys = awkwardKeys().map((k) => root + 'src/' + k)
/** Requests of `operation` sent while `work` ran. */
const sent = async (operation: string, work: () => Promise<unknown>) => {
  const before = counter.counts[operation] ?? 0
  await work()
  return (counter.counts[operation] ?? 0) - before
}

const checks: [string, () => Promise<void>][] = [
  ['putObject writes small objects and answers their ETag', async () => {
    for (const key of keys) {
      const { etag } = await t.putObject(bucket, key, Readable.from([body(key)]), { size: body(key).length, partSize: 5 * MiB, meta: { ContentType: 'application/zip', Metadata: { origin: 'contract' } }, signal })
      assert.equal(etag, md5(body(key)), key)
    }
  }],
  ['putObject writes a body above its part size in parts', async () => {
    const big = Buffer.alloc(6 * MiB, 7)
    const { etag } = await t.putObject(bucket, root + 'big/six.bin', Readable.from([big]), { size: big.length, partSize: 5 * MiB, signal })
    assert.match(etag ?? '', /-2"$/, 'a two-part ETag')
    assert.equal((await t.head(bucket, root + 'big/six.bin', signal))?.size, big.length)
  }],
  ['listPage lists every key byte for byte, in order, with sizes and ETags', async () => {
    const page = await t.listPage({ bucket, prefix: root + 'src/' }, signal)
    const listed = page.objects.map((o) => o.key)
    assert.deepEqual({ missing: keys.filter((k) => !listed.includes(k)), neverWritten: listed.filter((k) => !keys.includes(k)) }, { missing: [], neverWritten: [] })
    assert.deepEqual(listed, [...keys].sort(compareKeys), 'in the order of their UTF-8 bytes')
    for (const o of page.objects) assert.deepEqual([o.size, o.etag], [body(o.key).length, md5(body(o.key))], o.key)
    assert.equal(page.truncated, false)
    assert.ok(page.objects.every((o) => typeof o.modified === 'number' && o.modified > Date.UTC(2020, 0)), 'LastModified read')
  }],
  ['listPage pages with a token and starts after a key', async () => {
    const first = await t.listPage({ bucket, prefix: root + 'src/', maxKeys: 5 }, signal)
    assert.equal(first.objects.length, 5)
    assert.equal(first.truncated, true)
    const second = await t.listPage({ bucket, prefix: root + 'src/', maxKeys: 5, token: first.nextToken! }, signal)
    const after = await t.listPage({ bucket, prefix: root + 'src/', maxKeys: 5, startAfter: first.objects.at(-1)!.key }, signal)
    assert.deepEqual(second.objects.map((o) => o.key), after.objects.map((o) => o.key))
  }],
  ['listFolders answers the folders and loose keys of one level', async () => {
    const level = await t.listFolders({ bucket, prefix: root }, signal)
    assert.deepEqual(level.prefixes, [root + 'big/', root + 'src/'])
    assert.deepEqual(level.keys, [])
  }],
  ['head answers size, ETag and metadata; a missing key is undefined', async () => {
    const key = keys.find((k) => k.includes('🚀'))!
    const h = await t.head(bucket, key, signal)
    assert.equal(h?.size, body(key).length)
    assert.equal(h?.etag, md5(body(key)))
    assert.equal(h?.meta.ContentType, 'application/zip')
    assert.deepEqual(h?.meta.Metadata, { origin: 'contract' })
    assert.equal(await t.head(bucket, root + 'no/such.zip', signal), undefined)
  }],
  ['copyObject copies every awkward key server-side in one request each, metadata kept, ETag answered', async () => {
    for (const key of keys) {
      const to = key.replace('/src/', '/copy/')
      let answer: Awaited<ReturnType<S3Transport['copyObject']>> = {}
      assert.equal(await sent('CopyObject', async () => (answer = await t.copyObject({ bucket, key }, bucket, to, { signal }))), 1, `one CopyObject for ${key}`)
      assert.equal(answer.etag, md5(body(key)), key)
      const h = await t.head(bucket, to, signal)
      assert.deepEqual([h?.size, h?.meta.ContentType, h?.meta.Metadata], [body(key).length, 'application/zip', { origin: 'contract' }], to)
    }
  }],
  ['copyObject asked for a SHA-256 answers the bytes\' digest, or none', async () => {
    const key = keys[0]!
    const answer = await t.copyObject({ bucket, key }, bucket, root + 'sha/one.zip', { sha256: true, signal })
    if (answer.sha256 !== undefined) assert.equal(answer.sha256, sha256(body(key)))
  }],
  ['copyObject of a missing source fails with NoSuchKey', async () => {
    const error = await t.copyObject({ bucket, key: root + 'no/such.zip' }, bucket, root + 'copy/none.zip', { signal }).then(() => undefined, (e: unknown) => e)
    assert.ok(error, 'it failed')
    assert.equal(classify(error).code, 'NoSuchKey')
    assert.equal(classify(error).status, 404)
  }],
  ['getText reads a small object; a missing one is undefined', async () => {
    const key = keys.find((k) => k.includes('#'))!
    assert.equal(await t.getText(bucket, key, signal), body(key).toString())
    assert.equal(await t.getText(bucket, root + 'no/such.zip.CHECKSUM', signal), undefined)
  }],
  ['getObject streams the bytes with their metadata', async () => {
    const key = keys.at(-1)!
    const { body: stream, meta } = await t.getObject(bucket, key, signal)
    assert.deepEqual(await read(stream), body(key))
    assert.equal(meta.ContentType, 'application/zip')
  }],
  ['a multipart copy: parts copied by range while the ETag holds, completed in order', async () => {
    const source = { bucket, key: root + 'big/six.bin' }
    const head = (await t.head(bucket, source.key, signal))!
    const to = root + 'big/copy.bin'
    const uploadId = await t.createMultipart(bucket, to, { ContentType: 'application/octet-stream' }, signal)
    const ranges = ['bytes=0-5242879', `bytes=5242880-${head.size - 1}`]
    const parts = await Promise.all(ranges.reverse().map(async (range, i) => ({ number: 2 - i, etag: await t.uploadPartCopy({ ...source, range, ifMatch: head.etag! }, bucket, to, { uploadId, number: 2 - i }, signal) })))
    await t.completeMultipart(bucket, to, uploadId, parts, signal)
    const { body: stream } = await t.getObject(bucket, to, signal)
    assert.deepEqual(await read(stream), Buffer.alloc(6 * MiB, 7))
  }],
  ['a part copy refuses a source whose ETag changed, and an aborted upload leaves nothing', async () => {
    const to = root + 'big/aborted.bin'
    const uploadId = await t.createMultipart(bucket, to, {}, signal)
    const error = await t.uploadPartCopy({ bucket, key: root + 'big/six.bin', range: 'bytes=0-99', ifMatch: '"0123456789abcdef0123456789abcdef"' }, bucket, to, { uploadId, number: 1 }, signal).then(() => undefined, (e: unknown) => e)
    assert.equal(classify(error).status, 412, 'PreconditionFailed')
    await t.abortMultipart(bucket, to, uploadId, signal)
    assert.equal(await t.head(bucket, to, signal), undefined)
  }],
  ['deleteObjects removes the keys in one request', async () => {
    const copies = keys.map((k) => k.replace('/src/', '/copy/'))
    assert.equal(await sent('DeleteObjects', async () => assert.deepEqual(await t.deleteObjects(bucket, copies, signal), [])), 1)
    assert.deepEqual((await t.listPage({ bucket, prefix: root + 'copy/' }, signal)).objects, [])
  }],
  ['headBucket answers 200, with the bucket\'s region where the service names it', async () => {
    const answer = await t.headBucket(bucket, signal)
    assert.equal(answer.status, 200)
    if (region) assert.equal(answer.region, region)
  }],
]

let failed = 0
for (const [name, check] of checks) {
  try {
    await check()
    console.log(`ok ${name}`)
  } catch (error) {
    failed++
    console.log(`not ok ${name}: ${error instanceof Error ? error.message.split('\n').slice(0, 14).join(' | ') : String(error)}`)
  }
}
const everything = await t.listPage({ bucket, prefix: root }, signal).catch(() => ({ objects: [] }))
for (let at = 0; at < everything.objects.length; at += 1000) await t.deleteObjects(bucket, everything.objects.slice(at, at + 1000).map((o) => o.key), signal).catch(() => {})
t.destroy()
process.exitCode = failed ? 1 : 0
