import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SignatureV4 } from '@smithy/signature-v4'
import { Sha256 } from '../helpers/sdk-sha256.ts'
import { SigV4, EMPTY_SHA256 } from '../../src/storage/sigv4.ts'
import { encodeCopySource, encodeKeyPath } from '../../src/storage/copy-source.ts'

// The SDK's own signer, configured as the S3 client configures it (no path re-encoding).
const awkward = ['plain/key.zip', 'space in key', 'plus+sign', 'percent%20', 'hash#', 'question?', `quotes "double" 'single'`, 'unicode é 中文 😀', 'a//b/./c/../d', 'x'.repeat(900), ' lead', 'star*(paren)!']

test('the lean signer signs a copy exactly as the SDK signer does, for awkward keys and session tokens', async () => {
  const now = new Date('2026-11-26T07:15:30.123Z')
  for (const credentials of [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, { accessKeyId: 'ASIA1', secretAccessKey: 's', sessionToken: 'token/with+chars=' }]) {
    for (const key of awkward) {
      const path = `/lake/${encodeKeyPath(key)}`
      const headers = { host: 's3.ap-northeast-1.amazonaws.com', 'x-amz-copy-source': encodeCopySource('data.binance.vision', key), 'x-amz-metadata-directive': 'COPY', 'x-amz-content-sha256': EMPTY_SHA256, 'content-length': '0', 'x-amz-checksum-algorithm': 'SHA256' }
      const ours = new SigV4('ap-northeast-1').sign('PUT', path, headers, credentials, now)
      const sdk = new SignatureV4({ credentials, region: 'ap-northeast-1', service: 's3', sha256: Sha256 as any, uriEscapePath: false, applyChecksum: false })
      const theirs = await sdk.sign({ method: 'PUT', protocol: 'https:', hostname: headers.host, path, headers: { ...headers }, query: {} } as any, { signingDate: now })
      assert.equal(ours.authorization, (theirs as any).headers.authorization, `key ${JSON.stringify(key)}`)
      assert.equal(ours['x-amz-date'], (theirs as any).headers['x-amz-date'])
    }
  }
})

test('the signing key follows the day and the secret (rotated credentials sign anew)', () => {
  const signer = new SigV4('us-east-1')
  const headers = { host: 'h', 'x-amz-content-sha256': EMPTY_SHA256 }
  const a = signer.sign('PUT', '/b/k', headers, { accessKeyId: 'A', secretAccessKey: 'one' }, new Date('2026-11-26T23:59:59Z')).authorization!
  const b = signer.sign('PUT', '/b/k', headers, { accessKeyId: 'A', secretAccessKey: 'two' }, new Date('2026-11-26T23:59:59Z')).authorization
  const c = signer.sign('PUT', '/b/k', headers, { accessKeyId: 'A', secretAccessKey: 'one' }, new Date('2026-11-27T00:00:00Z')).authorization!
  assert.notEqual(a, b)
  assert.match(c, /Credential=A\/20261127\/us-east-1\/s3\/aws4_request/)
  assert.equal(signer.sign('PUT', '/b/k', headers, { accessKeyId: 'A', secretAccessKey: 'one' }, new Date('2026-11-26T23:59:59Z')).authorization, a)
})

test('a key in a path or copy source keeps unreserved characters and "/", and escapes every other byte', () => {
  // An independent reference: RFC 3986's unreserved set as is, all else %XX of its UTF-8 bytes.
  const reference = (key: string) => [...Buffer.from(key, 'utf8')].map((b) => /[A-Za-z0-9\-._~/]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  const characters = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)), 'é', '中', '😀', '\t', '\n']
  for (const c of characters) {
    const key = `data/spot/${c}/BTC${c}USDT.zip`
    assert.equal(encodeKeyPath(key), reference(key), `character ${JSON.stringify(c)}`)
    assert.equal(encodeCopySource('src', key), `src/${reference(key)}`)
  }
  for (const key of awkward) assert.equal(encodeKeyPath(key), reference(key), `key ${JSON.stringify(key)}`)
})

/** The SDK signer's authorization for a request, signed at `at`. */
async function sdkAuthorization(o: { method: string; path: string; headers: Record<string, string>; region: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }; at: Date }) {
  const sdk = new SignatureV4({ credentials: o.credentials, region: o.region, service: 's3', sha256: Sha256 as any, uriEscapePath: false, applyChecksum: false })
  const signed = await sdk.sign({ method: o.method, protocol: 'https:', hostname: o.headers.host, path: o.path, headers: { ...o.headers }, query: {} } as any, { signingDate: o.at })
  return (signed as any).headers.authorization as string
}

test('one signer over a sequence of requests: its date and key caches agree with the SDK across seconds, midnight, regions, methods and rotated keys', async () => {
  const times = ['2026-11-26T23:59:58.001Z', '2026-11-26T23:59:58.999Z', '2026-11-26T23:59:59.500Z', '2026-11-27T00:00:00.000Z', '2026-11-27T00:00:00.700Z', '2026-11-28T12:00:00.000Z', '2026-11-26T23:59:58.500Z']
  const keys = [{ accessKeyId: 'AKIDONE', secretAccessKey: 'first-secret' }, { accessKeyId: 'ASIATWO', secretAccessKey: 'second-secret', sessionToken: 'tok+/=' }]
  for (const region of ['us-east-1', 'eu-west-1', 'ap-northeast-1']) {
    const signer = new SigV4(region)
    for (const [i, iso] of times.entries()) {
      for (const method of ['PUT', 'GET', 'HEAD']) {
        const credentials = keys[(i + method.length) % 2]!
        const headers = { host: `lake.s3.${region}.amazonaws.com`, 'x-amz-content-sha256': EMPTY_SHA256, ...(method === 'PUT' ? { 'x-amz-copy-source': encodeCopySource('data.binance.vision', 'a b/😀'), 'content-length': '0' } : {}) }
        const path = `/${encodeKeyPath(`k ${i}/é.zip`)}`
        const at = new Date(iso)
        const ours = signer.sign(method, path, headers, credentials, at)
        assert.equal(ours.authorization, await sdkAuthorization({ method, path, headers: { ...headers, ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}) }, region, credentials, at }), `${region} ${iso} ${method}`)
      }
    }
  }
})

test('the headers the lean path really sends (a copy, a sidecar GET) carry a signature the SDK signer computes from them', async () => {
  const { createServer } = await import('node:http')
  const { LeanS3 } = await import('../../src/storage/lean-s3.ts')
  const { createS3Client } = await import('../../src/storage/client.ts')
  const seen: { method: string; path: string; headers: Record<string, string> }[] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, path: req.url!, headers: req.headers as Record<string, string> })
    req.resume()
    if (req.method === 'PUT') return res.writeHead(200, { 'content-type': 'application/xml' }).end('<CopyObjectResult><ETag>&quot;e&quot;</ETag></CopyObjectResult>')
    res.end('ab'.repeat(32) + '  x.zip\n')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const credentials = { accessKeyId: 'AKIDLEAN', secretAccessKey: 'lean-secret', sessionToken: 'session/token+=' }
  const client = createS3Client({ endpoint, region: 'eu-west-1', credentials }, { maxAttempts: 1 })
  const signal = new AbortController().signal
  const lean = (await LeanS3.open(client, 'lake', { endpoint, maxSockets: 2, timeoutMs: 5000, signal }))!
  try {
    await lean.copyObject('data.binance.vision', 'a b/😀.zip', 'raw/a b/😀.zip', { sha256: true, signal })
    await lean.getText('raw/a b/😀.zip.CHECKSUM', signal)
    assert.equal(seen.length, 2)
    for (const r of seen) {
      const { authorization, connection: _c, ...sent } = r.headers
      const at = new Date(sent['x-amz-date']!.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'))
      assert.ok(Object.keys(sent).length >= 4, `${r.method}: ${Object.keys(sent)}`)
      assert.equal(authorization, await sdkAuthorization({ method: r.method, path: r.path, headers: sent, region: 'eu-west-1', credentials, at }), `${r.method} ${r.path}`)
    }
  } finally {
    lean.destroy()
    client.destroy()
    server.close()
  }
})
