import type { ResolvedJob } from '../api/config.ts'
import { REASON_TEXT, type PlanItem } from '../api/items.ts'
import { singlePart } from '../storage/etags.ts'
import type { CopyItem, CopyOutcome } from '../engines/types.ts'
import type { PluginContainer } from '../plugins/container.ts'
import type { RequestCounter } from '../storage/meters.ts'
import type { ItemResult, JobSummary, LakesyncEvent } from '../api/events.ts'

type Deletion = Extract<PlanItem, { action: 'delete' }>

/**
 * A job's summary and the item events behind it: every count the summary shows moves here,
 * with the event that says why, so the two cannot disagree. Once the summary is out, late
 * outcomes (an interrupted run's) are dropped: nothing prints after it.
 */
export class JobTally {
  readonly summary: JobSummary
  private readonly batches = new Map<number, { copied: number; failed: number; bytes: number; startedAt: number }>()
  private ended = false
  private readonly started = performance.now()

  constructor(private readonly job: Pick<ResolvedJob, 'name'>, private readonly counter: RequestCounter, dryRun: boolean, private readonly emit: (e: LakesyncEvent) => Promise<void>, private readonly plugins: PluginContainer) {
    this.summary = {
      job: job.name, mode: '', engine: '', copied: 0, skipped: 0, failed: 0, planned: 0, bytesCopied: 0, bytesThroughHost: 0,
      requests: counter.counts, engines: {}, seconds: 0, dryRun, reasons: {}, peakDiskBytes: 0, peakRssBytes: 0, mismatches: 0, deleted: 0,
    }
  }

  async skipped(p: Extract<PlanItem, { action: 'skip' }>) {
    this.summary.skipped++
    this.count(p.reason)
    await this.item({ key: p.key, destKey: p.destKey, size: p.size, etag: p.etag, action: 'skipped', reason: REASON_TEXT[p.reason] })
  }

  /** A dry run's item: what a run would do with it. */
  async planned(p: Exclude<PlanItem, { action: 'delete' }>) {
    if (p.action === 'skip') return this.skipped(p)
    this.count(p.reason)
    this.summary.planned++
    if (!singlePart(p.etag)) this.summary.plannedUnproven = (this.summary.plannedUnproven ?? 0) + 1
    this.summary.bytesCopied += p.size
    await this.item({ key: p.key, destKey: p.destKey, size: p.size, etag: p.etag, action: 'planned', reason: REASON_TEXT[p.reason] })
  }

  async deletion(d: Deletion, r: { deleted: boolean; error?: string; planned?: boolean }) {
    const s = this.summary
    if (r.deleted) s.deleted++
    else if (!r.planned) s.failed++
    else s.deletePlanned = (s.deletePlanned ?? 0) + 1
    this.count(d.reason)
    await this.item({
      key: d.key, destKey: d.destKey, size: d.size, action: r.deleted ? 'deleted' : r.planned ? 'planned' : 'failed',
      reason: r.planned ? 'would delete: absent at the source' : r.error ?? 'absent at the source', ...(r.error ? { error: `delete failed: ${r.error}` } : {}),
    })
  }

  async batchStarted(batch: number, engine: string) {
    this.batches.set(batch, { copied: 0, failed: 0, bytes: 0, startedAt: performance.now() })
    await this.emit({ type: 'batch-start', job: this.job.name, batch, engine })
  }

  async batchEnded(batch: number) {
    const { startedAt, ...counts } = this.batches.get(batch)!
    await this.emit({ type: 'batch-end', job: this.job.name, batch, ...counts, seconds: (performance.now() - startedAt) / 1000 })
    this.batches.delete(batch)
  }

  /** A copy's final outcome: copied (and verified), or failed for good. */
  async outcome(o: CopyOutcome, batch: number | undefined) {
    if (this.ended) return
    const s = this.summary
    const b = batch === undefined ? undefined : this.batches.get(batch)
    if (o.ok) {
      s.copied++
      s.bytesCopied += o.item.size
      s.engines[o.engine] = (s.engines[o.engine] ?? 0) + 1
      this.count(o.item.reason)
      if (b) (b.copied++, (b.bytes += o.item.size))
    } else {
      s.failed++
      if (o.code === 'ChecksumMismatch') s.mismatches++
      if (b) b.failed++
    }
    await this.item({
      key: o.item.key, destKey: o.item.destKey, size: o.item.size, etag: o.item.etag, engine: o.engine,
      action: o.ok ? 'copied' : 'failed',
      reason: o.ok ? REASON_TEXT[o.item.reason] + (o.note ? `; ${o.note}` : '') : o.error ?? 'failed',
      ...(o.ok ? {} : { error: o.error }),
      ...(o.sha256 ? { sha256: o.sha256 } : {}),
    })
  }

  warn(message: string) {
    return this.emit({ type: 'warning', job: this.job.name, message })
  }

  /** The run was interrupted before this copy's outcome was known. */
  interrupted(_item: CopyItem, answered: boolean) {
    const i = (this.summary.interrupted ??= { unconfirmed: 0, noAnswer: 0 })
    if (answered) i.unconfirmed++
    else i.noAnswer++
  }

  /** The summary, once: emitted, and given to the plugins. */
  async end(aborted: boolean): Promise<JobSummary> {
    const s = this.summary
    s.seconds = (performance.now() - this.started) / 1000
    s.peakRssBytes = process.resourceUsage().maxRSS * 1024
    if (this.counter.throttled) s.throttled = this.counter.throttled
    if (aborted) s.interrupted ??= { unconfirmed: 0, noAnswer: 0 }
    this.ended = true
    await this.emit({ type: 'job-end', ...s })
    await this.plugins.notify('afterJob', s)
    return s
  }

  private count(reason: string) {
    this.summary.reasons[reason] = (this.summary.reasons[reason] ?? 0) + 1
  }

  private async item(e: Omit<ItemResult, 'job'>) {
    if (this.ended) return
    const result: ItemResult = { job: this.job.name, ...e }
    await this.emit({ type: 'item', ...result })
    await this.plugins.notify('afterItem', result)
  }
}
