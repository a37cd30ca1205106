import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy on loopback that behaves like one WAN link: every chunk is delayed by half the
 * round-trip time each way, and all connections share one bandwidth budget per direction (a
 * token bucket), as they would share a real link. toxiproxy's bandwidth toxic limits each
 * connection on its own, so 64 parallel connections would see 64 links.
 */
export class WanProxy {
  private server?: Server
  private readonly sockets = new Set<Socket>()
  private readonly buckets = { up: new Bucket(0), down: new Bucket(0) }

  constructor(private readonly upstreamPort: number, private readonly rttMs: number, mbits: number) {
    const bytesPerSecond = (mbits * 1e6) / 8
    this.buckets = { up: new Bucket(bytesPerSecond), down: new Bucket(bytesPerSecond) }
  }

  listen(port: number): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.upstreamPort, '127.0.0.1')
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => (client.destroy(), upstream.destroy()))
      }
      this.pipe(client, upstream, this.buckets.up)
      this.pipe(upstream, client, this.buckets.down)
    })
    return new Promise((resolve, reject) => this.server!.listen(port, '127.0.0.1', resolve).on('error', reject))
  }

  /** Chunks leave in order, each no earlier than its arrival + RTT/2 and its turn in the bandwidth budget. */
  private pipe(from: Socket, to: Socket, bucket: Bucket) {
    let chain = Promise.resolve()
    let queued = 0
    from.on('data', (chunk: Buffer) => {
      const arrived = Date.now()
      queued += chunk.length
      // Bytes in flight on the "link" are bounded: past 4 MB the sender waits, as TCP would.
      if (queued > 4 * 1024 * 1024) from.pause()
      chain = chain.then(async () => {
        await bucket.take(chunk.length)
        const wait = arrived + this.rttMs / 2 - Date.now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        if (!to.destroyed) to.write(chunk)
        queued -= chunk.length
        if (queued <= 1024 * 1024) from.resume()
      })
    })
    from.on('end', () => void chain.then(() => to.end()))
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise((r) => this.server?.close(r) ?? r(undefined))
  }
}

/** A shared token bucket: `take(n)` resolves when n bytes may pass at the configured rate. */
class Bucket {
  private next = 0
  constructor(private readonly bytesPerSecond: number) {}
  async take(bytes: number): Promise<void> {
    if (!this.bytesPerSecond) return
    const now = Date.now()
    const start = Math.max(now, this.next)
    this.next = start + (bytes / this.bytesPerSecond) * 1000
    const wait = this.next - now
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
  }
}
