import type { ResolvedJob } from '../config/types.ts'
import { formatS3Url } from '../config/location.ts'
import { clientsFor, RequestCounter, SOCKET_HEADROOM } from '../storage/client.ts'
import { listObjects } from '../storage/list.ts'
import { diffListings, REASON_TEXT } from '../plan/diff.ts'
import type { S5cmdLocation } from '../engines/find-s5cmd.ts'
import type { CopyOutcome } from '../engines/types.ts'
import type { PluginContainer } from '../plugins/container.ts'
import type { ItemResult, JobSummary, LakesyncEvent } from './events.ts'
import { preflighted } from './preflight.ts'
import { executePlan, type Routes } from './execute.ts'
import { decideMode, routesFor } from './mode.ts'
import { verifySizes } from './verify-size.ts'
import { EtagMemory } from './etag-memory.ts'
import { UploadRegistry } from './upload-registry.ts'
import { RateLimiter } from '../util/rate.ts'
import { applyDeletions, type CopyOrSkip } from './delete.ts'
import { verifyChecksums } from '../verify/checksum.ts'
import { listBinance, type GapReport } from '../sources/binance.ts'

export interface JobRunOptions {
  dryRun: boolean
  signal: AbortSignal
  plugins: PluginContainer
  s5cmd?: S5cmdLocation
  emit: (event: LakesyncEvent) => Promise<void>
  tempDir?: string
}

/** Plans and (unless dry-run) executes one job, emitting events; returns its summary. */
export async function runJob(job: ResolvedJob, options: JobRunOptions): Promise<JobSummary> {
  const { signal, emit, plugins } = options
  const started = performance.now()
  const counter = new RequestCounter()
  const limiter = job.maxRps ? new RateLimiter(job.maxRps) : undefined
  const clients = clientsFor(job.source.connection, job.destination.connection, { counter, limiter, maxSockets: job.concurrency + SOCKET_HEADROOM })
  const { source: sourceClient, dest: destClient } = clients
  const summary: JobSummary = {
    job: job.name, mode: '', engine: '', copied: 0, skipped: 0, failed: 0, planned: 0, bytesCopied: 0, bytesThroughHost: 0,
    requests: counter.counts, engines: {}, seconds: 0, dryRun: options.dryRun, reasons: {}, peakDiskBytes: 0, peakRssBytes: 0, mismatches: 0, deleted: 0,
  }
  const count = (reason: string) => (summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1)
  let ended = false
  const item = async (e: Omit<ItemResult, 'job'>) => {
    if (ended) return // nothing prints after the summary (late outcomes of an interrupted run)
    const result: ItemResult = { job: job.name, ...e }
    await emit({ type: 'item', ...result })
    await plugins.notify('afterItem', result)
  }
  let uploads: UploadRegistry | undefined
  await emit({ type: 'job-start', job: job.name, source: formatS3Url(job.source.bucket, job.source.prefix), destination: formatS3Url(job.destination.bucket, job.destination.prefix) })
  try {
    const decision = await decideMode(job, plugins, options.s5cmd, destClient, signal)
    const { routes, reason } = routesFor(job, decision.mode, options.s5cmd)
    summary.mode = decision.mode
    summary.engine = routes.primary.name
    await emit({ type: 'decision', job: job.name, mode: decision.mode, engine: routes.primary.name, reason: `${decision.mode}: ${decision.reason}; ${reason}` })

    if (!options.dryRun) {
      uploads = await UploadRegistry.open(job)
      const aborted = await uploads.abortLeftovers(destClient, job.destination.bucket, signal)
      if (aborted) await emit({ type: 'warning', job: job.name, message: `aborted ${aborted} multipart upload(s) that an earlier run of this job left open (it was killed)` })
      uploads.watch(destClient)
    }
    // Read while the listings start; the planner waits for it before its first decision.
    const memory = EtagMemory.open(job, { write: !options.dryRun })
    // The first page of each listing is the preflight: no extra requests before copying starts.
    const gaps: GapReport | undefined = job.source.binance ? { missing: [], stray: [], expected: 0 } : undefined
    const listing = job.source.binance
      ? listBinance(sourceClient, job.source.binance, gaps!, signal)
      : listObjects(sourceClient, job.source.bucket, job.source.prefix, { signal })
    const sourceListing = job.sourceFilter ? only(listing, job.sourceFilter) : listing
    // Unmapped keys keep their order, so the destination is listed only where the source's keys land.
    const destListPrefix = job.destination.prefix + (job.keyMap ? '' : job.source.prefix.slice(job.stripPrefix.length))
    const diffed = diffListings(
      preflighted(sourceListing, job.source, 'source', signal),
      preflighted(listObjects(destClient, job.destination.bucket, destListPrefix, { signal }), job.destination, 'destination', signal),
      {
        sourcePrefix: job.stripPrefix, destPrefix: job.destination.prefix, include: job.include, exclude: job.exclude, mapKey: job.keyMap, extras: job.delete,
        lastCopied: memory.then((m) => m.known),
      },
    )
    // Without --delete the plan holds no deletions: no generator between it and the engines.
    const plan = !job.delete ? (diffed as AsyncIterable<CopyOrSkip>) : applyDeletions(diffed, {
      client: destClient, bucket: job.destination.bucket, max: job.maxDelete, dryRun: options.dryRun, signal,
      onDeleted: async (d, r) => {
        if (r.deleted) summary.deleted++
        else if (!r.planned) summary.failed++
        else summary.deletePlanned = (summary.deletePlanned ?? 0) + 1
        count(d.reason)
        await item({ key: d.key, destKey: d.destKey, size: d.size, action: r.deleted ? 'deleted' : r.planned ? 'planned' : 'failed', reason: r.planned ? 'would delete: absent at the source' : r.error ?? 'absent at the source', ...(r.error ? { error: `delete failed: ${r.error}` } : {}) })
      },
      onLimit: async () => {
        summary.deleteLimitReached = true
        await emit({ type: 'warning', job: job.name, message: `--max-delete ${job.maxDelete} reached: more destination objects are absent at the source and were not deleted; check the source, then raise --max-delete` })
      },
    })
    if (options.dryRun) {
      for await (const p of plan) {
        count(p.reason)
        if (p.action === 'skip') summary.skipped++
        else (summary.planned++, (summary.bytesCopied += p.size))
        await item({ key: p.key, destKey: p.destKey, size: p.size, etag: p.etag, action: p.action === 'skip' ? 'skipped' : 'planned', reason: REASON_TEXT[p.reason] })
      }
    } else {
      await execute(plan, routes, memory)
    }
    if (gaps && !signal.aborted) {
      summary.gaps = { expected: gaps.expected, missing: gaps.missing.length, stray: gaps.stray.length }
      await emit({ type: 'gaps', job: job.name, expected: gaps.expected, missing: gaps.missing, stray: gaps.stray })
    }
  } catch (error) {
    // An interrupt surfaces as aborted requests: the summary below still says what is known.
    if (!signal.aborted) throw error
  } finally {
    await uploads?.flush()
    clients.destroy()
  }
  summary.seconds = (performance.now() - started) / 1000
  summary.peakRssBytes = process.resourceUsage().maxRSS * 1024
  if (signal.aborted) summary.interrupted ??= { unconfirmed: 0, noAnswer: 0 }
  ended = true
  await emit({ type: 'job-end', ...summary })
  await plugins.notify('afterJob', summary)
  return summary

  async function execute(plan: AsyncIterable<CopyOrSkip>, routes: Routes, memory: Promise<EtagMemory>) {
    const batches = new Map<number, { copied: number; failed: number; bytes: number }>()
    const metrics = { peakDiskBytes: 0, bytesThroughHost: 0 }
    const onOutcome = async (o: CopyOutcome, batch: number | undefined) => {
      const b = batch === undefined ? undefined : batches.get(batch)
      if (o.ok) {
        summary.copied++
        summary.bytesCopied += o.item.size
        summary.engines[o.engine] = (summary.engines[o.engine] ?? 0) + 1
        count(o.item.reason)
        if (b) (b.copied++, (b.bytes += o.item.size))
        if (o.item.etag) (await memory).remember(o.item.destKey, o.item.etag)
      } else {
        summary.failed++
        if (o.code === 'ChecksumMismatch') summary.mismatches++
        if (b) b.failed++
      }
      await item({
        key: o.item.key, destKey: o.item.destKey, size: o.item.size, etag: o.item.etag, engine: o.engine,
        action: o.ok ? 'copied' : 'failed',
        reason: o.ok ? REASON_TEXT[o.item.reason] + (o.note ? `; ${o.note}` : '') : o.error ?? 'failed',
        ...(o.ok ? {} : { error: o.error }),
        ...(o.sha256 ? { sha256: o.sha256 } : {}),
      })
    }
    const executed = executePlan(plan, routes, { job, signal, counter, destClient, sourceClient, metrics, tempDir: options.tempDir, limiter }, {
      onSkip: async (p) => {
        summary.skipped++
        count(p.reason)
        await item({ key: p.key, destKey: p.destKey, size: p.size, etag: p.etag, action: 'skipped', reason: REASON_TEXT[p.reason] })
      },
      onBatchStart: (batch, engine) => {
        batches.set(batch, { copied: 0, failed: 0, bytes: 0 })
        return emit({ type: 'batch-start', job: job.name, batch, engine })
      },
      onOutcome,
      onBatchEnd: (batch) => emit({ type: 'batch-end', job: job.name, batch, ...batches.get(batch)! }),
      warn: (message) => void emit({ type: 'warning', job: job.name, message }),
      onInterrupted: (_item, answered) => {
        summary.interrupted ??= { unconfirmed: 0, noAnswer: 0 }
        if (answered) summary.interrupted.unconfirmed++
        else summary.interrupted.noAnswer++
      },
      onFailure: async (o, attempt) => {
        const answer = await plugins.first('onItemError', {
          job, key: o.item.key, error: o.error ?? 'failed', code: o.code, status: o.status, engine: o.engine, attempt,
          mode: summary.mode as 'direct' | 'traditional', requestedMode: job.mode,
        })
        return answer?.value ?? 'fail'
      },
      ...(job.verify === 'none' ? {} : {
        verify: async (outcomes: CopyOutcome[]) => {
          const sized = await verifySizes(destClient, job, outcomes, signal, sourceClient)
          return job.verify === 'checksum' ? verifyChecksums({ job, sourceClient, destClient, signal }, sized) : sized
        },
      }),
    })
    try {
      await executed
    } finally {
      // An interrupted run still says what it moved.
      summary.peakDiskBytes = metrics.peakDiskBytes
      summary.bytesThroughHost = metrics.bytesThroughHost
      await (await memory).flush()
    }
  }
}

async function* only<T extends { key: string }>(listing: AsyncIterable<T>, accept: (key: string) => boolean): AsyncGenerator<T> {
  for await (const o of listing) if (accept(o.key)) yield o
}
