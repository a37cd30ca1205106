import http from 'node:http'
import { freePort } from './s3-server.ts'

export interface Faults {
  /** Share of requests answered 503 SlowDown without reaching the server. */
  slowDown?: number
  /** Share of object GETs whose connection is reset halfway through the body. */
  resetMidBody?: number
  /** Share of requests delayed by `spikeMs` first. */
  latencySpike?: number
  spikeMs?: number
  /** Share of server-side copies (CopyObject) accepted and never answered, once per key. */
  hangCopyOnce?: number
  /** Share of object GETs and PUTs (traditional copies) accepted and never answered, once per key. */
  hangObjectOnce?: number
  /** Listing pages after the first (asked with a continuation token or a start-after key; same-token: with a token) spoiled, every time they are asked. */
  listing?: ListingFault
  /** Listing bodies with carriage returns sent raw, not as &#13; (XML readers then see a newline). */
  rawCarriageReturns?: boolean
  /** Milliseconds a request waits at the proxy before it goes on (0: none). */
  delayMs?: (request: ProxiedRequest) => number
  /** Answers a request itself (it never reaches the server) when this returns an answer. */
  answer?: (request: ProxiedRequest) => { status: number; body: string } | undefined
}

export interface ProxiedRequest {
  method: string
  /** Decoded: /bucket/key */
  path: string
  query: URLSearchParams
  copy: boolean
  list: boolean
  /** Signed (an Authorization header or a presigned query). */
  signed: boolean
  at: number
}

/** An S3 error body. */
export const s3Error = (code: string, message = code) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`

export type ListingFault = 'truncated-without-token' | 'empty-body' | 'html-body' | 'error-body' | 'same-token' | 'cut-short'

const SPOILED_BODY: Partial<Record<ListingFault, string>> = {
  'empty-body': '',
  'html-body': '<html><body><h1>502 Bad Gateway</h1></body></html>',
  'error-body': '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>',
}

/** A page from the server, spoiled as a broken proxy or server would spoil it. */
function spoilPage(fault: ListingFault, xml: string, requestToken: string): string {
  // Both say "truncated", also on what was the last page: a page after the first is spoiled wherever it falls.
  const truncated = (x: string) => x.replace(/<IsTruncated>false<\/IsTruncated>/, '<IsTruncated>true</IsTruncated>').replace(/<NextContinuationToken>[^<]*<\/NextContinuationToken>/, '')
  if (fault === 'truncated-without-token') return truncated(xml)
  // Cut after the 50th object, as a server failing mid-stream ends its chunked body cleanly: no KeyCount to miscount, no root close.
  if (fault === 'cut-short') return xml.slice(0, nthEnd(xml, '</Contents>', 50)).replace(/<KeyCount>\d+<\/KeyCount>/, '')
  if (fault === 'same-token') return truncated(xml).replace('<IsTruncated>true</IsTruncated>', `<IsTruncated>true</IsTruncated><NextContinuationToken>${requestToken.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</NextContinuationToken>`)
  return SPOILED_BODY[fault] ?? xml
}

/** Where the `n`th `tag` ends (or the last one, if fewer). */
function nthEnd(xml: string, tag: string, n: number): number {
  let end = 0
  for (let i = 0; i < n; i++) {
    const at = xml.indexOf(tag, end)
    if (at < 0) break
    end = at + tag.length
  }
  return end
}

/** An HTTP proxy on loopback in front of an S3 server that injects faults, for the fault suite. */
export async function startFaultProxy(upstreamPort: number, faults: Faults, seed = 42) {
  let state = seed
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const injected = { slowDown: 0, resets: 0, spikes: 0, hangs: 0, spoiledPages: 0 }
  /** Server-side copies in flight now, and the most seen at once. */
  const copies = { inFlight: 0, peak: 0 }
  /** Every request as it arrived, for counts made at the wire rather than by lakesync. */
  const requests: ProxiedRequest[] = []
  const hung = new Set<string>()
  const held = new Set<ReturnType<typeof setTimeout>>()
  let closing = false
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://proxy')
    const request: ProxiedRequest = {
      method: req.method!, path: decodeURIComponent(url.pathname), query: url.searchParams, copy: Boolean(req.headers['x-amz-copy-source']), list: url.searchParams.has('list-type'),
      signed: Boolean(req.headers.authorization || url.searchParams.has('X-Amz-Signature')), at: performance.now(),
    }
    requests.push(request)
    const delay = faults.delayMs?.(request)
    if (delay) {
      // Held requests end with the proxy: a long hold must not keep the test process alive.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => (held.delete(timer), resolve()), delay)
        held.add(timer)
      })
      if (closing) return
    }
    const answer = faults.answer?.(request)
    if (answer) {
      req.resume()
      res.writeHead(answer.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(answer.body) })
      return res.end(answer.body)
    }
    const isCopy = req.method === 'PUT' && Boolean(req.headers['x-amz-copy-source'])
    const isObject = (req.method === 'GET' && !url.searchParams.has('list-type') && url.pathname.split('/').length > 2) || (req.method === 'PUT' && !isCopy)
    if (faults.hangObjectOnce && isObject && !hung.has(req.url!) && random() < faults.hangObjectOnce) {
      hung.add(req.url!)
      injected.hangs++
      return // the connection stays open and silent until the client gives up on it
    }
    if (isCopy) {
      copies.peak = Math.max(copies.peak, ++copies.inFlight)
      res.once('close', () => copies.inFlight--)
    }
    const token = url.searchParams.get('continuation-token')
    const isList = req.method === 'GET' && url.searchParams.get('list-type') === '2'
    const continued = token !== null || (faults.listing !== 'same-token' && url.searchParams.has('start-after'))
    const spoil = faults.listing && continued && isList
      ? (xml: string) => spoilPage(faults.listing!, xml, token ?? '')
      : faults.rawCarriageReturns && isList ? (xml: string) => xml.replace(/&#(13|x[dD]);/g, '\r') : undefined
    if (spoil) {
      injected.spoiledPages++
      const upRes = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port: upstreamPort, path: req.url, headers: req.headers }, resolve).on('error', reject))
      let xml = ''
      for await (const chunk of upRes) xml += chunk
      const body = spoil(xml)
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
      return res.end(body)
    }
    if (faults.hangCopyOnce && req.method === 'PUT' && req.headers['x-amz-copy-source'] && !hung.has(req.url!) && random() < faults.hangCopyOnce) {
      hung.add(req.url!)
      injected.hangs++
      return // the connection stays open and silent until the client gives up on it
    }
    if (faults.latencySpike && random() < faults.latencySpike) {
      injected.spikes++
      await new Promise((r) => setTimeout(r, faults.spikeMs ?? 500))
    }
    if (faults.slowDown && random() < faults.slowDown) {
      injected.slowDown++
      req.resume()
      res.writeHead(503, { 'content-type': 'application/xml' })
      return res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>')
    }
    const reset = req.method === 'GET' && !req.url?.includes('list-type') && faults.resetMidBody && random() < faults.resetMidBody
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      if (!reset) return void upRes.pipe(res)
      injected.resets++
      const half = Math.floor(Number(upRes.headers['content-length'] ?? 0) / 2)
      let sent = 0
      upRes.on('data', (chunk: Buffer) => {
        if (sent + chunk.length >= half) {
          res.write(chunk.subarray(0, Math.max(0, half - sent)))
          res.socket?.destroy()
          upRes.destroy()
        } else (sent += chunk.length), res.write(chunk)
      })
    })
    up.on('error', () => res.socket?.destroy())
    req.pipe(up)
  })
  const port = await freePort()
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r))
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    copies,
    requests,
    close: () => new Promise<void>((r) => {
      closing = true
      for (const timer of held) clearTimeout(timer)
      held.clear()
      server.closeAllConnections()
      server.close(() => r())
    }),
  }
}
