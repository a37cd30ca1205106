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
}

/** An HTTP proxy on loopback in front of an S3 server that injects faults, for the fault suite. */
export async function startFaultProxy(upstreamPort: number, faults: Faults, seed = 42) {
  let state = seed
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const injected = { slowDown: 0, resets: 0, spikes: 0, hangs: 0 }
  const hung = new Set<string>()
  const server = http.createServer(async (req, res) => {
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
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  }
}
