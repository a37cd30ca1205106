import http from 'node:http'

/**
 * What the limiter makes of S3, from its documentation ("Best practices design patterns:
 * optimizing Amazon S3 performance"): 3,500 PUT/COPY/POST/DELETE and 5,500 GET/HEAD requests
 * per second per partitioned prefix, 503 SlowDown beyond, and partitions that S3 splits as a
 * prefix holds a high rate ("S3 automatically scales ... gradually"). `scale` shrinks the rates
 * so that one loopback host can drive them.
 */
export interface S3LimiterOptions {
  /** Multiplies S3's per-partition rates (1 = S3's own 3,500 writes and 5,500 reads a second). */
  scale: number
  /** The median round trip, ms. S3's small-object latency is 100–200 ms to first byte (the same guide). */
  medianMs: number
  /**
   * The spread of the round trip, as a log-normal σ: 0.6 puts p99 at 4× the median, the long
   * tail the guide means when it advises retrying the slowest requests.
   */
  sigma: number
  /** A partition that holds over half its write rate this long splits in two at its middle key. 0: never. */
  splitAfterS: number
  /** Partitions at most: S3's splits take minutes; a bench keeps a few. */
  maxPartitions: number
  /** Requests a partition may send at once above its rate: a tenth of a second's worth. */
  burstS: number
  /** Where partitions begin from the start ("bucket/key" lower bounds): a prefix S3 has already split. */
  splits?: string[]
}

export const S3_RATES = { write: 3500, read: 5500 }

export const DEFAULT_LIMITER: S3LimiterOptions = { scale: 0.1, medianMs: 100, sigma: 0.6, splitAfterS: 20, maxPartitions: 4, burstS: 0.1 }

/** A key range [lo, next partition's lo) with its own token buckets. */
interface Partition {
  lo: string
  tokens: { write: number; read: number }
  refilled: number
  /** Since when it has held over half its write rate, if it does now. */
  hotSince?: number
  writesThisSecond: number
  second: number
  /** The last keys written in it: a split cuts at their middle, where the load is. */
  recent: string[]
}

/** One second of the limiter's answers: what a benchmark plots. */
export interface LimiterSecond {
  second: number
  writesOk: number
  throttled: number
  partitions: number
  /** The write capacity of all partitions this second. */
  ceiling: number
}

/**
 * An HTTP proxy on loopback in front of a real S3 server that answers like S3 at scale: each
 * request waits a round trip drawn from a long-tailed distribution, and a partition above its
 * rate answers 503 SlowDown. It keeps a per-second log of successful writes and throttles.
 */
export class S3Limiter {
  private server?: http.Server
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Infinity })
  private readonly partitions: Partition[]
  private readonly started = performance.now()
  readonly seconds: LimiterSecond[] = []

  constructor(private readonly upstreamPort: number, readonly o: S3LimiterOptions = DEFAULT_LIMITER) {
    this.partitions = ['', ...(o.splits ?? [])].sort().map(newPartition)
  }

  async listen(): Promise<number> {
    this.server = http.createServer((req, res) => void this.handle(req, res))
    this.server.keepAliveTimeout = 60_000
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r))
    return (this.server.address() as { port: number }).port
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const kind = req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write'
    const key = partitionKey(req.url ?? '/')
    const allowed = this.admit(key, kind)
    await new Promise((r) => setTimeout(r, this.roundTrip()))
    const second = this.second()
    if (!allowed) {
      second.throttled++
      req.resume()
      res.writeHead(503, { 'content-type': 'application/xml' })
      return void res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>')
    }
    const up = http.request({ host: '127.0.0.1', port: this.upstreamPort, method: req.method, path: req.url, headers: req.headers, agent: this.agent }, (answer) => {
      if (kind === 'write' && answer.statusCode === 200) second.writesOk++
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    up.on('error', () => (res.headersSent ? res.destroy() : (res.writeHead(502), res.end())))
    req.pipe(up)
  }

  /** Takes a token from the key's partition, or says it is throttled. */
  private admit(key: string, kind: 'write' | 'read'): boolean {
    const p = this.partitionOf(key)
    const now = performance.now()
    const rate = { write: S3_RATES.write * this.o.scale, read: S3_RATES.read * this.o.scale }
    for (const k of ['write', 'read'] as const) p.tokens[k] = Math.min(rate[k] * this.o.burstS, p.tokens[k] + ((now - p.refilled) / 1000) * rate[k])
    p.refilled = now
    if (kind === 'write') this.noteWrite(p, key, now, rate.write)
    if (p.tokens[kind] < 1) return false
    p.tokens[kind]--
    return true
  }

  /** Tracks how hot a partition runs, and splits it once it has run hot for `splitAfterS`. */
  private noteWrite(p: Partition, key: string, now: number, rate: number) {
    p.recent.push(key)
    if (p.recent.length > 512) p.recent.splice(0, 256)
    const second = Math.floor(now / 1000)
    if (second === p.second) return void p.writesThisSecond++
    const hot = p.writesThisSecond > rate / 2
    p.hotSince = hot ? (p.hotSince ?? now) : undefined
    p.second = second
    p.writesThisSecond = 1
    if (this.o.splitAfterS && p.hotSince !== undefined && now - p.hotSince >= this.o.splitAfterS * 1000) this.split(p)
  }

  private split(p: Partition) {
    if (this.partitions.length >= this.o.maxPartitions) return
    const middle = [...p.recent].sort()[p.recent.length >> 1]
    if (!middle || middle <= p.lo) return
    p.hotSince = undefined
    p.recent = []
    this.partitions.push(newPartition(middle))
    this.partitions.sort((a, b) => (a.lo < b.lo ? -1 : 1))
  }

  private partitionOf(key: string): Partition {
    let found = this.partitions[0]!
    for (const p of this.partitions) if (p.lo <= key) found = p
    return found
  }

  /** A log-normal draw around the median: exp(N(ln median, σ)). */
  private roundTrip(): number {
    const normal = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random())
    return this.o.medianMs * Math.exp(this.o.sigma * normal)
  }

  private second(): LimiterSecond {
    const at = Math.floor((performance.now() - this.started) / 1000)
    let last = this.seconds.at(-1)
    while (!last || last.second < at) {
      last = { second: (last?.second ?? -1) + 1, writesOk: 0, throttled: 0, partitions: this.partitions.length, ceiling: this.partitions.length * S3_RATES.write * this.o.scale }
      this.seconds.push(last)
    }
    return last
  }

  async close(): Promise<void> {
    this.agent.destroy()
    this.server?.closeAllConnections()
    await new Promise((r) => this.server?.close(r) ?? r(undefined))
  }
}

// Full buckets: a partition starts able to take its burst (admit() clamps Infinity to it).
const newPartition = (lo: string): Partition => ({ lo, tokens: { write: Infinity, read: Infinity }, refilled: performance.now(), writesThisSecond: 0, second: 0, recent: [] })

/** "bucket/key" of a path-style request (a listing: its prefix), decoded. */
export function partitionKey(url: string): string {
  const [path, query = ''] = url.split('?', 2) as [string, string?]
  const prefix = new URLSearchParams(query).get('prefix')
  const key = decodeURIComponent(path.slice(1))
  return prefix !== null && key.endsWith('/') ? key + prefix : prefix !== null && !key.includes('/') ? `${key}/${prefix}` : key
}
