import type { ResolvedJob } from '../api/config.ts'
import { formatS3Url } from '../config/location.ts'
import { SOCKET_HEADROOM } from '../storage/client.ts'
import { RequestCounter } from '../storage/meters.ts'
import { transportsFor, type JobTransports } from '../storage/job-transports.ts'
import type { SdkTransport } from '../storage/sdk-transport.ts'
import { planJob } from '../plan/plan-job.ts'
import type { S5cmdLocation } from '../engines/find-s5cmd.ts'
import type { CopyOutcome, EngineContext } from '../engines/types.ts'
import type { PluginContainer } from '../plugins/container.ts'
import type { JobSummary, LakesyncEvent } from '../api/events.ts'
import { executePlan, type ExecuteHandlers } from './execute.ts'
import { readRun, type RunObserver } from './read-run.ts'
import { decideMode, routesFor, type Routes } from '../route/mode.ts'
import { describePlaces, placeBuckets } from '../route/bucket-regions.ts'
import { provenByAnswer, verifySizes } from '../verify/size.ts'
import { EtagMemory } from '../state/etag-memory.ts'
import { UploadRegistry } from '../state/upload-registry.ts'
import { JobTally } from './job-tally.ts'
import { RateLimiter } from '../util/rate.ts'
import { LakesyncError } from '../api/errors.ts'
import { describeS3Error } from '../storage/errors.ts'
import { classesOf } from '../api/error-classes.ts'
import { concurrencyWithinLimit } from '../util/fd-limit.ts'
import { applyDeletions, type CopyOrSkip } from '../plan/delete.ts'
import { verifyByPlugins, verifyContext } from '../verify/plugin-checks.ts'
import { Slots } from '../util/slots.ts'
import { AdaptiveLimit } from '../engines/adaptive-limit.ts'
import { ProgressMeter } from './progress.ts'
import { crossRegionCost, routeCosts, type Prices } from '../batch-ops/route-costs.ts'

/** How often a copying job reports its progress. */
const PROGRESS_MS = 1000

export interface JobRunOptions {
  dryRun: boolean
  signal: AbortSignal
  plugins: PluginContainer
  s5cmd?: S5cmdLocation
  emit: (event: LakesyncEvent) => Promise<void>
  tempDir?: string
  /** Dry runs of direct jobs price lakesync's route against S3 Batch Operations' with these. */
  prices?: Prices
}

/**
 * Plans and (unless dry-run) executes one job, emitting events; returns its summary. The
 * steps: decide the mode, clear what a killed run left, plan (list and merge), then copy
 * (or, dry, count), then the gap report and the summary.
 */
export async function runJob(asked: ResolvedJob, options: JobRunOptions): Promise<JobSummary> {
  const { signal, emit, plugins } = options
  const fit = concurrencyWithinLimit(asked.concurrency)
  // An adaptive limit's ceiling is held under the open-file limit quietly: nobody asked for it.
  const ceiling = concurrencyWithinLimit(asked.maxConcurrency).concurrency
  let job = fit.why ? { ...asked, concurrency: fit.concurrency } : asked
  const counter = new RequestCounter()
  const limiter = job.maxRps ? new RateLimiter(job.maxRps, signal) : undefined
  const tally = new JobTally(job, counter, options.dryRun, emit, plugins)
  let uploads: UploadRegistry | undefined
  let transports: JobTransports | undefined
  let failure: unknown
  await emit({ type: 'job-start', job: job.name, source: formatS3Url(job.source.bucket, job.source.prefix), destination: formatS3Url(job.destination.bucket, job.destination.prefix), ...(job.shard ? { shard: job.shard } : {}) })
  try {
    if (fit.why) await emit({ type: 'warning', job: job.name, message: fit.why })
    // Every transport below is built for its bucket's region, so no request meets a wrong-region answer.
    const { job: placed, places } = await placeBuckets(job, signal, counter)
    job = placed
    transports = transportsFor(job.source.connection, job.destination.connection, { counter, limiter, maxSockets: (job.adaptive ? Math.max(ceiling, job.concurrency) : job.concurrency) + SOCKET_HEADROOM })
    const { routes, adaptive } = await decide(job, places, ceiling, counter, tally, options)
    if (!options.dryRun) uploads = await clearLeftovers(job, transports.sdk.dest, signal, emit)
    // Read while the listings start; the planner waits for it before its first decision.
    const memory = EtagMemory.open(job, { write: !options.dryRun })
    // Spread copies are proven by their answers; a window of s5cmd's would need a listing across all
    // the series it spans. A plan that is only printed (--dry-run, `lakesync plan`) reads best in key order.
    const spread = job.order === 'spread' && routes.primary.capabilities.answersWithEtag && !options.dryRun
    const { items, gaps } = planJob(job, transports, { signal, extras: job.delete, lastCopied: memory, spread })
    const plan = withDeletions(items, job, transports.dest, tally, options)
    if (options.dryRun) await countPlan(plan, job, tally, options.prices)
    else await copy(plan, routes, { job, signal, counter, needs: plugins.copyNeeds(job), source: transports.source, dest: transports.dest, sdk: transports.sdk, tempDir: options.tempDir, limiter, ...(adaptive ? { adaptive } : {}) }, memory, tally, plugins, emit)
    if (gaps && !signal.aborted) {
      tally.summary.gaps = { expected: gaps.expected, missing: gaps.missing.length, stray: gaps.stray.length }
      await emit({ type: 'gaps', job: job.name, expected: gaps.expected, missing: gaps.missing, stray: gaps.stray })
    }
  } catch (error) {
    // An interrupt surfaces as aborted requests: the summary below still says what is known.
    // An error before the first copy (preflight, a bad config) is the whole story; one after it
    // ends the job with its summary too, so what was copied is said, then the error.
    if (!signal.aborted && !tally.summary.mode) throw error
    if (!signal.aborted) failure = error
  } finally {
    await uploads?.flush()
    transports?.destroy()
  }
  if (failure) tally.summary.stopped = describeFailure(failure)
  const summary = await tally.end(signal.aborted)
  if (failure) throw failure
  return summary
}

/** The plan with its deletions applied (--delete), up to --max-delete; without --delete it holds none, and nothing stands between it and the engines. */
function withDeletions(items: ReturnType<typeof planJob>['items'], job: Pick<ResolvedJob, 'name' | 'delete' | 'maxDelete' | 'destination'>, dest: JobTransports['dest'], tally: JobTally, options: JobRunOptions): AsyncIterable<CopyOrSkip> {
  if (!job.delete) return items as AsyncIterable<CopyOrSkip>
  return applyDeletions(items, {
    transport: dest, bucket: job.destination.bucket, max: job.maxDelete, dryRun: options.dryRun, signal: options.signal,
    onDeleted: (d, r) => tally.deletion(d, r),
    onLimit: async () => {
      tally.summary.deleteLimitReached = true
      await options.emit({ type: 'warning', job: job.name, message: `--max-delete ${job.maxDelete} reached: more destination objects are absent at the source and were not deleted; check the source, then raise --max-delete` })
    },
  })
}

/** A dry run: each planned item counted (and printed), and for a direct job the route priced against S3 Batch Operations'. */
async function countPlan(plan: AsyncIterable<CopyOrSkip>, job: Parameters<typeof crossRegionCost>[0], tally: JobTally, prices: Prices | undefined) {
  for await (const p of plan) await tally.planned(p)
  const s = tally.summary
  if (!prices || s.mode !== 'direct') return
  s.routes = { ...routeCosts(s, prices), prices: prices.source }
  const transfer = crossRegionCost(job, s.bytesCopied, prices)
  if (transfer) s.crossRegion = transfer
}

/** The job's mode, its engines and its limit on copies in flight, said in its decision line and its summary. */
async function decide(job: ResolvedJob, places: Parameters<typeof describePlaces>[0], ceiling: number, counter: RequestCounter, tally: JobTally, options: JobRunOptions) {
  const decision = await decideMode(job, options.plugins, options.s5cmd, options.signal, counter)
  const { routes, reason } = await routesFor(job, decision.mode, options.s5cmd, options.plugins)
  const adaptive = adaptiveLimit(job, routes, ceiling, counter)
  tally.summary.mode = decision.mode
  tally.summary.engine = routes.primary.name
  const regions = places.length ? `; regions: ${describePlaces(places)}` : ''
  const inFlight = adaptive ? `; copies in flight adapt from ${adaptive.limit} up to ${ceiling}` : `; ${job.concurrency} copies in flight`
  await options.emit({ type: 'decision', job: job.name, mode: decision.mode, engine: routes.primary.name, reason: `${decision.mode}: ${decision.reason}; ${reason}${regions}${inFlight}` })
  return { routes, adaptive }
}

/** A job whose concurrency is not fixed, copying server-side one request per object: its limit adapts. s5cmd and traditional copies keep a fixed number. */
function adaptiveLimit(job: Pick<ResolvedJob, 'adaptive'>, routes: Routes, ceiling: number, counter: RequestCounter): AdaptiveLimit | undefined {
  const { serverSide, batchProcess } = routes.primary.capabilities
  if (!job.adaptive || !serverSide || batchProcess) return undefined
  return new AdaptiveLimit({ max: ceiling, throttles: () => counter.throttled })
}

/** The error that stopped a job, in one line for its summary. */
const describeFailure = (error: unknown) => (error instanceof LakesyncError ? error.message.split('\n')[0]! : describeS3Error(error))

/** Aborts the multipart uploads a killed run of this job left open, and records this run's. */
async function clearLeftovers(job: Pick<ResolvedJob, 'name' | 'source' | 'destination' | 'shard'>, dest: SdkTransport, signal: AbortSignal, emit: JobRunOptions['emit']): Promise<UploadRegistry> {
  const uploads = await UploadRegistry.open(job)
  const { aborted, kept, error } = await uploads.abortLeftovers(dest, job.destination.bucket, signal)
  if (aborted) await emit({ type: 'warning', job: job.name, message: `aborted ${aborted} multipart upload(s) that an earlier run of this job left open (it was killed)` })
  if (error) await emit({ type: 'warning', job: job.name, message: `could not abort ${kept} multipart upload(s) an earlier run left open (${error}); the next run tries again` })
  uploads.watch(dest.client)
  return uploads
}

/** Copies the plan: the engines, with the plugins deciding on failures, the size check and the plugins' checks (checksums), and the tally. */
async function copy(plan: AsyncIterable<CopyOrSkip>, routes: Routes, context: Omit<EngineContext, 'metrics'>, memory: Promise<EtagMemory>, tally: JobTally, plugins: PluginContainer, emit: JobRunOptions['emit']) {
  const { job, signal, source, dest } = context
  const metrics = { peakDiskBytes: 0, bytesThroughHost: 0 }
  const progress = new ProgressMeter()
  const { adaptive } = context
  if (adaptive) progress.limit = () => adaptive.limit
  progress.throttled = () => context.counter.throttled
  // As many checks in flight as copies: each is a request or two, so checking keeps pace.
  const checks = new Slots(adaptive ? () => adaptive.limit : job.concurrency)
  const checkContext = verifyContext(job, signal, context, false)
  const ticker = setInterval(() => void emit({ type: 'progress', ...progress.snapshot(job.name, tally.summary) }).catch(() => {}), PROGRESS_MS)
  const handlers: ExecuteHandlers = {
    progress,
    onFailure: async (o, attempt) => {
      const answer = await plugins.first('onItemError', {
        job, key: o.item.key, error: o.error ?? 'failed', code: o.code, errorClasses: classesOf(o.code), status: o.status, engine: o.engine, attempt,
        mode: tally.summary.mode as 'direct' | 'traditional', requestedMode: job.mode,
      })
      return answer?.value ?? 'fail'
    },
    ...(job.verify === 'none' ? {} : {
      provenByAnswer,
      verify: async (outcomes: CopyOutcome[]) => {
        const sized = await verifySizes(dest, job, outcomes, signal, source)
        if (!plugins.has('verifyCopy')) return sized
        return verifyByPlugins(sized, (copy) => plugins.verifyCopy(copy, checkContext), checks, signal)
      },
    }),
  }
  try {
    // The memory first: a copy is remembered before it is reported.
    const remember: RunObserver = { outcome: async (o) => void (o.ok && o.item.etag && (await memory).remember(o.item.destKey, o.item.etag, o.etag)) }
    await readRun(executePlan(plan, routes, { ...context, metrics }, handlers), [remember, tally])
  } finally {
    clearInterval(ticker)
    // An interrupted run still says what it moved.
    tally.summary.peakDiskBytes = metrics.peakDiskBytes
    tally.summary.bytesThroughHost = metrics.bytesThroughHost
    if (adaptive) tally.summary.adaptive = { limit: adaptive.limit, peak: adaptive.peak, backoffs: { ...adaptive.backoffs } }
    await (await memory).flush()
  }
}
