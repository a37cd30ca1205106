// The transport's choices, measured so they can be checked again when Node or undici change:
// the CPU this process spends per CopyObject-shaped request (a signed PUT with no body, a small
// XML answer) on kept-alive connections through lakesync's own pool (src/storage/http-pool.ts),
// node:http with a keep-alive Agent, and undici's Pool; and per signature, lakesync's SigV4
// (src/storage/sigv4.ts) against the SDK's signer (@smithy/signature-v4). The server is another
// process, so only the client's work is counted. Rounds interleaved; medians.
//   PATH=$PWD/.tools/node/bin:$PATH npx tsx scripts/bench-transport.ts [--requests 20000] [--rounds 5] [--inflight 64]
// (undici needs Node >= 22.19: the Node the single binary embeds, which setup fetches.)
import { spawn } from 'node:child_process'
import http from 'node:http'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { SignatureV4 } from '@smithy/signature-v4'
import { HttpPool } from '../src/storage/http-pool.ts'
import { EMPTY_SHA256, SigV4 } from '../src/storage/sigv4.ts'
import { encodeCopySource } from '../src/storage/copy-source.ts'
import { Sha256 } from '../test/helpers/sdk-sha256.ts'

const { values } = parseArgs({ options: { requests: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' }, inflight: { type: 'string', default: '64' } } })
const requests = Number(values.requests)
const inflight = Number(values.inflight)

// A server answering every request at once with S3's CopyObject answer, in a process of its own.
const SERVER = `
const body = '<?xml version="1.0" encoding="UTF-8"?>\\n<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-12-05T04:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag></CopyObjectResult>'
require('node:http').createServer({ keepAliveTimeout: 60000 }, (req, res) => { req.resume(); req.on('end', () => res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': '0123456789ABCDEF' }).end(body)) })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port) })`
const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
const [portLine] = (await once(server.stdout!, 'data')) as [Buffer]
const url = new URL(`http://127.0.0.1:${String(portLine).trim()}`)

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const key = 'data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip'
const path = `/lake/${key}`
// One signer, as the lean path keeps one per endpoint: it caches the day's signing key, as the SDK's does.
const signer = new SigV4('us-east-1')
const headers = () => signer.sign('PUT', path, { host: url.host, 'x-amz-copy-source': encodeCopySource('data.binance.vision', key), 'x-amz-metadata-directive': 'COPY', 'x-amz-content-sha256': EMPTY_SHA256, 'content-length': '0' }, credentials)
const signed = headers()

/** `send` `requests` times with `inflight` at once; CPU µs of this process per request. */
async function cpuPerRequest(send: () => Promise<void>): Promise<number> {
  let left = requests
  const start = process.cpuUsage()
  await Promise.all(Array.from({ length: inflight }, async () => {
    while (left-- > 0) await send()
  }))
  const used = process.cpuUsage(start)
  return (used.user + used.system) / requests
}

const own = new HttpPool(url, { maxSockets: inflight, timeoutMs: 30_000 })
const agent = new http.Agent({ keepAlive: true, maxSockets: inflight })
const pool = new Pool(url.origin, { connections: inflight })
const signal = new AbortController().signal
const clients: Record<string, () => Promise<void>> = {
  'lakesync HttpPool': async () => {
    const answer = await own.request('PUT', path, signed, signal)
    if (!('status' in answer) || answer.status !== 200) throw new Error(`HttpPool: ${JSON.stringify(answer)}`)
  },
  'node:http Agent': () => new Promise<void>((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'PUT', path, headers: signed, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => (Buffer.concat(chunks).toString().includes('<ETag>') ? resolve() : reject(new Error('no ETag'))))
    })
    req.on('error', reject).end()
  }),
  'undici Pool': async () => {
    const { statusCode, body } = await pool.request({ method: 'PUT', path, headers: signed })
    const text = await body.text()
    if (statusCode !== 200 || !text.includes('<ETag>')) throw new Error(`undici: ${statusCode}`)
  },
}

const sdkSigner = new SignatureV4({ credentials, region: 'us-east-1', service: 's3', sha256: Sha256 as any, uriEscapePath: false, applyChecksum: false })
const signers: Record<string, () => Promise<unknown>> = {
  'lakesync SigV4': async () => headers(),
  '@smithy/signature-v4': () => sdkSigner.sign({ method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, headers: { host: url.host, 'x-amz-copy-source': encodeCopySource('data.binance.vision', key), 'x-amz-metadata-directive': 'COPY', 'x-amz-content-sha256': EMPTY_SHA256, 'content-length': '0' }, query: {} } as any),
}
async function cpuPerSignature(sign: () => Promise<unknown>): Promise<number> {
  const n = 20_000
  const start = process.cpuUsage()
  for (let i = 0; i < n; i++) await sign()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / n
}

const runs: Record<string, number[]> = {}
for (const name of Object.keys(clients)) await cpuPerRequest(clients[name]!) // warm-up: JIT and connections
for (let round = 0; round < Number(values.rounds); round++) {
  const names = Object.keys(clients)
  for (const name of names.map((_, i) => names[(i + round) % names.length]!)) (runs[`request: ${name}`] ??= []).push(await cpuPerRequest(clients[name]!))
  for (const [name, sign] of Object.entries(signers)) (runs[`signature: ${name}`] ??= []).push(await cpuPerSignature(sign))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`Node ${process.versions.node}, undici ${(await import('undici/package.json', { with: { type: 'json' } })).default.version}; ${requests} requests × ${values.rounds} rounds, ${inflight} in flight`)
console.log('| what | CPU µs per request or signature (median) |\n|---|---|')
for (const [name, xs] of Object.entries(runs)) console.log(`| ${name} | ${median(xs).toFixed(1)} |`)
own.destroy()
agent.destroy()
await pool.close()
server.kill()
