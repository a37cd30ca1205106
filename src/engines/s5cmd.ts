import type { sh as Shell } from '../util/sh.ts'
import type { ConnectionConfig } from '../api/config.ts'
import { batchLine, classifyS5cmdError, isBatchSafeKey, parseS5cmdLine, s3Url, s5cmdRegions } from './s5cmd-batch.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'
import { COPY_OBJECT_LIMIT } from '../storage/copy-source.ts'
import { stallSeconds } from '../util/env.ts'

/** Environment and global flags that give s5cmd the connection's endpoint and identity. */
export function s5cmdConnection(conn: ConnectionConfig, env = process.env): { env: NodeJS.ProcessEnv; flags: string[] } {
  const childEnv: NodeJS.ProcessEnv = { ...env, AWS_REGION: conn.region ?? env.AWS_REGION ?? 'us-east-1' }
  const flags: string[] = []
  if (conn.endpoint) {
    flags.push('--endpoint-url', conn.endpoint)
    // A CA bundle meant for TLS breaks s5cmd's plain-HTTP loopback endpoints.
    if (conn.endpoint.startsWith('http://')) delete childEnv.AWS_CA_BUNDLE
  }
  if (conn.anonymous) flags.push('--no-sign-request')
  if (conn.credentials) {
    childEnv.AWS_ACCESS_KEY_ID = conn.credentials.accessKeyId
    childEnv.AWS_SECRET_ACCESS_KEY = conn.credentials.secretAccessKey
    if (conn.credentials.sessionToken) childEnv.AWS_SESSION_TOKEN = conn.credentials.sessionToken
    else delete childEnv.AWS_SESSION_TOKEN
    delete childEnv.AWS_PROFILE
  } else if (conn.profile) {
    flags.push('--profile', conn.profile)
  }
  return { env: childEnv, flags }
}

// s5cmd's output is read as it streams (below); zx would also keep all of it, ~350 bytes per
// copy, until the batch ends.
const discard = () => Object.assign([] as string[], { push: () => 0 })

/**
 * One batch = one `s5cmd --json run` process fed `cp` lines on stdin as the planner produces
 * them, so copying starts with the first listed page and no batch waits for its slowest copy.
 * s5cmd blocks reading while its workers are busy, which pushes back on the planner.
 */
export function createS5cmdEngine(binary: string): Engine {
  return {
    name: 's5cmd',
    capabilities: { serverSide: true, batchProcess: true, answersWithEtag: false, formEncodedSource: true },
    accepts: (item, job) => isBatchSafeKey(item.key) && isBatchSafeKey(item.destKey) && item.size <= Math.min(COPY_OBJECT_LIMIT, job.multipartThreshold),
    open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
      // zx loads with the first batch: a run that copies with another engine never pays for it (~10 ms of a start).
      const batch = import('../util/sh.ts').then(({ sh }) => openBatch(sh, binary, ctx, onOutcome))
      return { submit: async (item) => (await batch).submit(item), close: async () => (await batch).close() }
    },
  }
}

/** A batch's s5cmd process, fed as items are submitted, its results read as they stream. */
function openBatch(sh: typeof Shell, binary: string, ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
  const { job, signal } = ctx
  const { env, flags } = s5cmdConnection(job.destination.connection)
  const regionFlags = s5cmdRegions(job)
  const proc = sh({ env, signal, nothrow: true, quiet: true, store: { stdout: discard(), stderr: discard(), stdall: discard() } })`${binary} --json --numworkers ${job.concurrency} ${flags} run`
  const copies = new InFlight(job.source.bucket, job.destination.bucket, (item, outcome) => {
    ctx.counter.add('CopyObject')
    onOutcome({ item, engine: 's5cmd', ...outcome })
  })
  let firstError = ''
  // s5cmd sets no request timeout: one connection the server accepts and never answers holds
  // its worker, and a run of such connections holds the run. With copies in flight and no
  // result for this long, s5cmd is stopped and its unanswered items retried by the SDK engine.
  const stallMs = stallSeconds('LAKESYNC_S5CMD_STALL_SECONDS') * 1000
  const watchdog = new Watchdog(stallMs, () => copies.size > 0, () => void proc.kill('SIGKILL'))
  const onLine = (line: string) => {
    watchdog.heard()
    const r = parseS5cmdLine(line)
    if (!r) return
    if (r.ok) return void copies.answered(r.source!)
    if (!copies.failed(r.command ?? '', r.error ?? '')) firstError ||= r.error ?? ''
  }
  readLines(proc.stdout, onLine)
  readLines(proc.stderr, (l) => (l.startsWith('{') ? onLine(l) : (firstError ||= l.trim())))
  const input = new BatchInput(proc.stdin)
  return {
    async submit(item) {
      if (ctx.limiter) await ctx.limiter.take() // one cp line is one CopyObject
      copies.add(item)
      await input.write(batchLine(item, job.source.bucket, job.destination.bucket, regionFlags) + '\n')
    },
    async close() {
      input.end()
      const out = await proc
      watchdog.stop()
      // Anything s5cmd did not answer for fails with its own message (or its exit code);
      // after a stall, as a timeout, which the fallback plugin retries.
      const reason = signal.aborted
        ? 'interrupted'
        : watchdog.fired
          ? `s5cmd gave no result for ${stallMs / 1000} s and was stopped`
          : firstError || `s5cmd exited with code ${out.exitCode} without a result for this item`
      copies.failAll(reason, watchdog.fired && !signal.aborted ? 'TimeoutError' : undefined)
    },
  }
}

/** A batch's copies in flight: found by their source URL (s5cmd's successes) or their command text (its failures). */
class InFlight {
  private readonly bySource = new Map<string, CopyItem>()
  private readonly byCommand = new Map<string, CopyItem>()

  constructor(private readonly src: string, private readonly dst: string, private readonly settled: (item: CopyItem, outcome: Omit<CopyOutcome, 'item' | 'engine'>) => void) {}

  get size(): number {
    return this.bySource.size
  }

  add(item: CopyItem) {
    this.bySource.set(s3Url(this.src, item.key), item)
    this.byCommand.set(this.command(item), item)
  }

  answered(source: string) {
    const item = this.bySource.get(source)
    if (item) this.settle(item, { ok: true })
  }

  /** A failure line: false when it names no copy in flight (a failure of s5cmd itself). */
  failed(command: string, error: string): boolean {
    const item = this.byCommand.get(command)
    if (item) this.settle(item, { ok: false, error, ...classifyS5cmdError(error) })
    return !!item
  }

  failAll(error: string, code: string | undefined) {
    for (const item of [...this.bySource.values()]) this.settle(item, { ok: false, error, ...(code ? { code } : {}) })
  }

  private command(item: CopyItem) {
    return `cp ${s3Url(this.src, item.key)} ${s3Url(this.dst, item.destKey)}`
  }

  private settle(item: CopyItem, outcome: Omit<CopyOutcome, 'item' | 'engine'>) {
    this.bySource.delete(s3Url(this.src, item.key))
    this.byCommand.delete(this.command(item))
    this.settled(item, outcome)
  }
}

/** Fires once when work is waiting and nothing was heard for `stallMs`. */
class Watchdog {
  fired = false
  private last = Date.now()
  private readonly timer: ReturnType<typeof setInterval>

  constructor(stallMs: number, busy: () => boolean, fire: () => void) {
    this.timer = setInterval(() => {
      if (this.fired || !busy() || Date.now() - this.last < stallMs) return
      this.fired = true
      fire()
    }, Math.min(5000, stallMs / 4))
    this.timer.unref()
  }

  heard() {
    this.last = Date.now()
  }

  stop() {
    clearInterval(this.timer)
  }
}

/**
 * s5cmd's stdin. Lines written in one tick (a listing page) leave in one write rather than one
 * write and one wake-up of s5cmd's reader per line (s5cmd used ~5% less CPU in a 2,000-key run).
 */
class BatchInput {
  private corked = false

  constructor(private readonly stdin: NodeJS.WritableStream & { cork(): void; uncork(): void }) {
    stdin.on('error', () => {}) // s5cmd exiting early surfaces at close()
  }

  /** Resolves when s5cmd can take more (its reader blocks while its workers are busy). */
  async write(line: string): Promise<void> {
    if (!this.corked) (this.corked = true), this.stdin.cork(), process.nextTick(() => this.uncork())
    if (this.stdin.write(line)) return
    this.uncork()
    // A stopped s5cmd never drains: its closed stdin ends the wait too.
    await new Promise<void>((resolve) => {
      const done = () => (this.stdin.off('drain', done), this.stdin.off('close', done), resolve())
      this.stdin.on('drain', done).on('close', done)
    })
  }

  end() {
    this.uncork()
    this.stdin.end()
  }

  private uncork() {
    if (this.corked) (this.corked = false), this.stdin.uncork()
  }
}

/** Calls `onLine` with each line of a stream as it arrives, the last one too. */
function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void) {
  let rest = ''
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n')
    rest = parts.pop()!
    parts.forEach(onLine)
  })
  stream.on('end', () => rest && onLine(rest))
}
