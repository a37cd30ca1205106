import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { heldUntilExpiring, readCopyAnswer } from '../../src/storage/lean-s3.ts'
import { LeanTransport } from '../../src/storage/lean-transport.ts'
import { SdkTransport } from '../../src/storage/sdk-transport.ts'
import { createS3Client } from '../../src/storage/client.ts'
import { readSidecar } from '../../src/verify/checksum.ts'

// The lean path takes only a plain success; everything else goes to the SDK, which reads errors.
test('a CopyObject answer: success with the new ETag and its SHA-256, and every failure declined', () => {
  const sha = Buffer.alloc(32, 7).toString('base64')
  assert.deepEqual(readCopyAnswer(200, `<?xml version="1.0"?><CopyObjectResult><ETag>"e"</ETag><ChecksumSHA256>${sha}</ChecksumSHA256></CopyObjectResult>`), { ok: true, etag: '"e"', sha256: '07'.repeat(32) })
  // S3 escapes the ETag's quotes.
  assert.deepEqual(readCopyAnswer(200, '<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-11-26T00:00:00.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>'), { ok: true, etag: '"9b2cf535f27731c974343645a3985328"' })
  assert.deepEqual(readCopyAnswer(200, '<CopyObjectResult></CopyObjectResult>'), { ok: true })
  // S3 may answer 200 and then fail the copy in the body.
  assert.deepEqual(readCopyAnswer(200, '<Error><Code>InternalError</Code><Message>x</Message></Error>'), { ok: false, why: 'HTTP 200 without a CopyObjectResult InternalError' })
  assert.deepEqual(readCopyAnswer(503, '<Error><Code>SlowDown</Code></Error>'), { ok: false, why: 'HTTP 503 SlowDown' })
  assert.deepEqual(readCopyAnswer(403, ''), { ok: false, why: 'HTTP 403' })
  assert.equal(readCopyAnswer(200, '').ok, false, 'an empty 200 is not a copy')
})

test('sidecars are read by one lean GET: signed, the key path-encoded; 404 is "none"; other answers go to the SDK', async () => {
  const seen: { url: string; auth: string }[] = []
  const digest = 'ab'.repeat(32)
  const server = createServer((req, res) => {
    seen.push({ url: req.url!, auth: String(req.headers.authorization) })
    if (req.url!.includes('missing')) return res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>')
    if (req.url!.includes('broken')) return res.writeHead(500).end('<Error><Code>InternalError</Code></Error>')
    res.end(`${digest}  a b+c.zip\n`)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const client = createS3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLEAN', secretAccessKey: 'lean-secret' } }, { maxAttempts: 1 })
  // The SDK's path is closed: an answer can only come from the lean GET.
  client.middlewareStack.add(() => async () => { throw Object.assign(new Error('the SDK path was taken'), { name: 'SdkPathTaken' }) }, { step: 'initialize', name: 'noSdk' })
  const signal = new AbortController().signal
  const source = new LeanTransport(new SdkTransport(client), { meters: {}, maxSockets: 4, timeoutMs: 5000 })
  try {
    assert.equal(await readSidecar(source, 'archive', 'data/a b+c.zip', signal), digest)
    assert.deepEqual(seen[0], { url: '/archive/data/a%20b%2Bc.zip.CHECKSUM', auth: seen[0]!.auth })
    assert.match(seen[0]!.auth, /^AWS4-HMAC-SHA256 Credential=AKIDLEAN\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/)
    assert.equal(await readSidecar(source, 'archive', 'data/missing.zip', signal), undefined, 'no sidecar')
    await assert.rejects(readSidecar(source, 'archive', 'data/broken.zip', signal), /the SDK path was taken/, 'an error answer is asked again through the SDK')
  } finally {
    client.destroy()
    server.closeAllConnections()
    server.close()
  }
})

test('the lean path keeps credentials until five minutes before they expire, then asks the provider again', async () => {
  let asked = 0
  let expiresIn: number | undefined
  const provider = async () => ({ accessKeyId: `KEY${++asked}`, secretAccessKey: 's', ...(expiresIn === undefined ? {} : { expiration: new Date(Date.now() + expiresIn) }) })
  const staticKeys = heldUntilExpiring(provider)
  for (let i = 0; i < 3; i++) assert.equal((await staticKeys()).accessKeyId, 'KEY1', 'keys without an expiry are asked for once')
  expiresIn = 10 * 60_000
  const role = heldUntilExpiring(provider)
  assert.equal((await role()).accessKeyId, 'KEY2')
  assert.equal((await role()).accessKeyId, 'KEY2', 'ten minutes left: kept')
  expiresIn = 4 * 60_000
  let clock = Date.now()
  const expiring = heldUntilExpiring(provider, () => clock)
  assert.equal((await expiring()).accessKeyId, 'KEY3')
  const many = await Promise.all(Array.from({ length: 100 }, () => expiring()))
  assert.ok(many.every((c) => c.accessKeyId === 'KEY3'), 'four minutes left: held, not asked again per request')
  clock += 2 * 60_000 + 1
  assert.equal((await expiring()).accessKeyId, 'KEY4', 'half their life later: asked again once')
  expiresIn = undefined
  const fresh = heldUntilExpiring(provider, () => clock)
  const together = await Promise.all([fresh(), fresh(), fresh()])
  assert.deepEqual(together.map((c) => c.accessKeyId), ['KEY5', 'KEY5', 'KEY5'], 'callers waiting together share one ask')
})

test('the lean path declines endpoints that do not sign with plain SigV4 (S3 Express directory buckets): the SDK copies there', async () => {
  const { LeanS3 } = await import('../../src/storage/lean-s3.ts')
  const client = createS3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } }, { maxAttempts: 1 })
  const signal = new AbortController().signal
  try {
    const plain = await LeanS3.open(client, 'lake', { maxSockets: 2, timeoutMs: 1000, signal })
    assert.ok(plain, 'a general-purpose bucket: the lean path takes it')
    plain.destroy()
    assert.equal(await LeanS3.open(client, 'lake--use1-az4--x-s3', { maxSockets: 2, timeoutMs: 1000, signal }), undefined, 'a directory bucket (sigv4-s3express): declined')
  } finally {
    client.destroy()
  }
})
