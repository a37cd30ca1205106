import type { ResolvedJob } from '../config/types.ts'
import { PreflightError } from '../errors.ts'
import { createS3Client, connectionKey, RequestCounter } from '../storage/client.ts'
import { listObjects } from '../storage/list.ts'
import { diffListings, REASON_TEXT } from '../plan/diff.ts'
import { sdkEngine } from '../engines/sdk-copy.ts'
import { createS5cmdEngine } from '../engines/s5cmd.ts'
import type { S5cmdLocation } from '../engines/find-s5cmd.ts'
import type { Engine } from '../engines/types.ts'
import type { PluginContainer } from '../plugins/container.ts'
import type { JobSummary, LakesyncEvent } from './events.ts'
import { preflighted } from './preflight.ts'
import { executePlan } from './execute.ts'
import { formatS3Url } from '../config/location.ts'

export interface JobRunOptions {
  dryRun: boolean
  signal: AbortSignal
  plugins: PluginContainer
  s5cmd?: S5cmdLocation
  emit: (event: LakesyncEvent) => Promise<void>
}

export interface EngineChoice {
  primary: Engine
  reason: string
}

/** --engine auto takes s5cmd when it is installed and both sides share one endpoint and identity. */
export function chooseEngine(job: ResolvedJob, s5cmd: S5cmdLocation | undefined): EngineChoice {
  const shared = connectionKey(job.source.connection) === connectionKey(job.destination.connection)
  const s5cmdBlocker = !s5cmd ? 's5cmd not found (PATH, LAKESYNC_S5CMD, config s5cmd)' : !shared ? 'source and destination use different connections, s5cmd copies with one' : undefined
  if (job.engine === 's5cmd') {
    if (s5cmdBlocker) throw new PreflightError(`job ${job.name}: --engine s5cmd is not usable: ${s5cmdBlocker}`, 'install s5cmd (npm run setup) or use --engine sdk')
    return { primary: createS5cmdEngine(s5cmd!.path), reason: `s5cmd requested (${s5cmd!.path})` }
  }
  if (job.engine === 'sdk') return { primary: sdkEngine, reason: 'sdk requested' }
  if (s5cmdBlocker) return { primary: sdkEngine, reason: `sdk, since ${s5cmdBlocker}` }
  return { primary: createS5cmdEngine(s5cmd!.path), reason: `s5cmd found via ${s5cmd!.from} (${s5cmd!.path})` }
}

/** Plans and (unless dry-run) executes one job, emitting events; returns its summary. */
export async function runJob(job: ResolvedJob, options: JobRunOptions): Promise<JobSummary> {
  const { signal, emit } = options
  const started = performance.now()
  const counter = new RequestCounter()
  const sourceClient = createS3Client(job.source.connection, { counter })
  const destClient = connectionKey(job.source.connection) === connectionKey(job.destination.connection)
    ? sourceClient
    : createS3Client(job.destination.connection, { counter })
  const summary: JobSummary = {
    job: job.name, mode: 'direct', engine: '', copied: 0, skipped: 0, failed: 0, planned: 0,
    bytesCopied: 0, bytesThroughHost: 0, requests: counter.counts, engines: {}, seconds: 0, dryRun: options.dryRun, reasons: {},
  }
  await emit({ type: 'job-start', job: job.name, source: formatS3Url(job.source.bucket, job.source.prefix), destination: formatS3Url(job.destination.bucket, job.destination.prefix) })
  try {
    const sameEndpoint = (job.source.connection.endpoint ?? '') === (job.destination.connection.endpoint ?? '')
    if (job.mode === 'traditional' || !sameEndpoint) {
      throw new PreflightError(
        `job ${job.name}: a server-side copy needs source and destination on one endpoint (source ${job.source.connection.endpoint ?? 'AWS'}, destination ${job.destination.connection.endpoint ?? 'AWS'})`,
        'put both sides on one endpoint; traditional mode is not available yet',
      )
    }
    const choice = chooseEngine(job, options.s5cmd)
    summary.engine = choice.primary.name
    await emit({ type: 'decision', job: job.name, mode: 'direct', engine: choice.primary.name, reason: `direct: both sides on one endpoint; engine ${choice.reason}` })

    // The first page of each listing is the preflight: no extra requests before copying starts.
    const plan = diffListings(
      preflighted(listObjects(sourceClient, job.source.bucket, job.source.prefix, { signal }), job.source, 'source', signal),
      preflighted(listObjects(destClient, job.destination.bucket, job.destination.prefix, { signal }), job.destination, 'destination', signal),
      { sourcePrefix: job.source.prefix, destPrefix: job.destination.prefix, include: job.include, exclude: job.exclude },
    )
    const count = (reason: string) => (summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1)
    const item = async (e: Omit<Extract<LakesyncEvent, { type: 'item' }>, 'type' | 'job'>) => {
      const event = { type: 'item', job: job.name, ...e } as const
      await emit(event)
      await options.plugins.notify('afterItem', event)
    }
    if (options.dryRun) {
      for await (const p of plan) {
        count(p.reason)
        if (p.action === 'skip') summary.skipped++
        else { summary.planned++; summary.bytesCopied += p.size }
        await item({ key: p.key, destKey: p.destKey, size: p.size, action: p.action === 'skip' ? 'skipped' : 'planned', reason: REASON_TEXT[p.reason] })
      }
    } else {
      const batches = new Map<number, { copied: number; failed: number; bytes: number }>()
      await executePlan(plan, { primary: choice.primary, fallback: sdkEngine }, { job, signal, counter, destClient }, {
        onSkip: async (p) => {
          summary.skipped++
          count(p.reason)
          await item({ key: p.key, destKey: p.destKey, size: p.size, action: 'skipped', reason: REASON_TEXT[p.reason] })
        },
        onBatchStart: (batch, engine) => {
          batches.set(batch, { copied: 0, failed: 0, bytes: 0 })
          return emit({ type: 'batch-start', job: job.name, batch, engine })
        },
        onOutcome: async (o, batch) => {
          const b = batch === undefined ? undefined : batches.get(batch)
          if (o.ok) {
            summary.copied++
            summary.bytesCopied += o.item.size
            summary.engines[o.engine] = (summary.engines[o.engine] ?? 0) + 1
            count(o.item.reason)
            if (b) (b.copied++, (b.bytes += o.item.size))
          } else {
            summary.failed++
            if (b) b.failed++
          }
          await item({
            key: o.item.key, destKey: o.item.destKey, size: o.item.size, engine: o.engine,
            action: o.ok ? 'copied' : 'failed',
            reason: o.ok ? REASON_TEXT[o.item.reason] + (o.note ? `; ${o.note}` : '') : o.error ?? 'failed',
            ...(o.ok ? {} : { error: o.error }),
          })
        },
        onBatchEnd: (batch) => emit({ type: 'batch-end', job: job.name, batch, ...batches.get(batch)! }),
      })
    }
  } finally {
    sourceClient.destroy()
    if (destClient !== sourceClient) destClient.destroy()
  }
  summary.seconds = (performance.now() - started) / 1000
  await emit({ type: 'job-end', ...summary })
  await options.plugins.notify('afterJob', summary)
  return summary
}
