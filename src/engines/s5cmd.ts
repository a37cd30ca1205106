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
  const src = job.source.bucket
  const dst = job.destination.bucket
  const { env, flags } = s5cmdConnection(job.destination.connection)
  const regionFlags = s5cmdRegions(job)
  const proc = sh({ env, signal, nothrow: true, quiet: true, store: { stdout: discard(), stderr: discard(), stdall: discard() } })`${binary} --json --numworkers ${job.concurrency} ${flags} run`
  // In flight, by the source URL (successes) and by the command text s5cmd prints (failures).
  const bySource = new Map<string, CopyItem>()
  const byCommand = new Map<string, CopyItem>()
  const command = (item: CopyItem) => `cp ${s3Url(src, item.key)} ${s3Url(dst, item.destKey)}`
  const settle = (item: CopyItem, outcome: Omit<CopyOutcome, 'item' | 'engine'>) => {
    bySource.delete(s3Url(src, item.key))
    byCommand.delete(command(item))
    ctx.counter.add('CopyObject')
    onOutcome({ item, engine: 's5cmd', ...outcome })
  }
  const lines = (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    let rest = ''
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n')
      rest = parts.pop()!
      parts.forEach(onLine)
    })
    stream.on('end', () => rest && onLine(rest))
  }
  let firstError = ''
  // s5cmd sets no request timeout: one connection the server accepts and never answers holds
  // its worker, and a run of such connections holds the run. With copies in flight and no
  // result for this long, s5cmd is stopped and its unanswered items retried by the SDK engine.
  const stallMs = stallSeconds('LAKESYNC_S5CMD_STALL_SECONDS') * 1000
  let lastResult = Date.now()
  let stalled = false
  const watchdog = setInterval(() => {
    if (stalled || !bySource.size || Date.now() - lastResult < stallMs) return
    stalled = true
    void proc.kill('SIGKILL')
  }, Math.min(5000, stallMs / 4))
  watchdog.unref()
  const onLine = (line: string) => {
    lastResult = Date.now()
    const r = parseS5cmdLine(line)
    if (!r) return
    if (r.ok) {
      const item = bySource.get(r.source!)
      if (item) settle(item, { ok: true })
      return
    }
    const item = byCommand.get(r.command ?? '')
    if (item) settle(item, { ok: false, error: r.error, ...classifyS5cmdError(r.error ?? '') })
    else firstError ||= r.error ?? ''
  }
  lines(proc.stdout, onLine)
  lines(proc.stderr, (l) => (l.startsWith('{') ? onLine(l) : (firstError ||= l.trim())))
  const stdin = proc.stdin
  stdin.on('error', () => {}) // s5cmd exiting early surfaces at close()
  // Lines submitted in one tick (a listing page) leave in one write rather than one write
  // and one wake-up of s5cmd's reader per line (s5cmd used ~5% less CPU in a 2,000-key run).
  let corked = false
  const uncork = () => {
    if (corked) (corked = false), stdin.uncork()
  }
  return {
    async submit(item) {
      if (ctx.limiter) await ctx.limiter.take() // one cp line is one CopyObject
      bySource.set(s3Url(src, item.key), item)
      byCommand.set(command(item), item)
      if (!corked) (corked = true), stdin.cork(), process.nextTick(uncork)
      if (!stdin.write(batchLine(item, src, dst, regionFlags) + '\n')) {
        uncork()
        // A stopped s5cmd never drains: its closed stdin ends the wait too.
        await new Promise<void>((resolve) => {
          const done = () => (stdin.off('drain', done), stdin.off('close', done), resolve())
          stdin.on('drain', done).on('close', done)
        })
      }
    },
    async close() {
      uncork()
      stdin.end()
      const out = await proc
      clearInterval(watchdog)
      // Anything s5cmd did not answer for fails with its own message (or its exit code);
      // after a stall, as a timeout, which the fallback plugin retries.
      const reason = signal.aborted
        ? 'interrupted'
        : stalled
          ? `s5cmd gave no result for ${stallMs / 1000} s and was stopped`
          : firstError || `s5cmd exited with code ${out.exitCode} without a result for this item`
      for (const item of [...bySource.values()]) settle(item, { ok: false, error: reason, ...(stalled && !signal.aborted ? { code: 'TimeoutError' } : {}) })
    },
  }
}
