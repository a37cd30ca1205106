import { printableKey } from '../util/printable.ts'
import type { EventOf, JobSummary, RequestCounts } from '../api/events.ts'
import type { Shard } from '../api/config.ts'
import { runRequests } from '../batch-ops/route-costs.ts'

import { int } from '../util/numbers.ts'

export { int }

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++ }
  return `${i ? n.toFixed(1) : n} ${units[i]}`
}

/** What a batch did: its objects and bytes, its rate, its failures. */
export function batchResult(e: EventOf<'batch-end'>): string {
  const rate = e.seconds > 0 ? `, ${int(Math.round(e.copied / e.seconds))} objects/s` : ''
  return `copied ${int(e.copied)} (${bytes(e.bytes)}) in ${e.seconds.toFixed(e.seconds < 1 ? 2 : 1)} s${rate}${e.failed ? `, ✖ ${int(e.failed)} failed` : ''}`
}

export function requests(counts: RequestCounts): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0)
  return entries.length ? entries.map(([op, n]) => `${op} ${int(n)}`).join(', ') : 'none'
}

/** The closing lines of a job, the same in every renderer but JSON. */
export function summaryLines(s: JobSummary): string[] {
  const reasons = Object.entries(s.reasons).map(([r, n]) => `${r} ${int(n)}`).join(', ')
  const head = s.dryRun
    ? `${s.job}: would copy ${int(s.planned)} (${bytes(s.bytesCopied)}), skip ${int(s.skipped)}`
    : `${s.job}: ${s.stopped ? 'STOPPED: ' : s.interrupted ? 'INTERRUPTED: ' : ''}copied ${int(s.copied)} (${bytes(s.bytesCopied)}), skipped ${int(s.skipped)}, failed ${int(s.failed)}`
  return [
    head,
    ...(s.stopped ? [`  stopped by: ${s.stopped}`] : []),
    ...(s.interrupted
      ? [`  unknown: ${int(s.interrupted.unconfirmed)} copies answered but not yet confirmed at the destination, ${int(s.interrupted.noAnswer)} in flight with no answer; the next run checks them (copied counts only confirmed copies)`]
      : []),
    `  why: ${reasons || (s.stopped ? 'nothing confirmed before it stopped' : s.interrupted ? 'nothing confirmed before the interrupt' : s.failed ? 'nothing copied (the failures are listed above)' : 'nothing listed')}`,
    `  mode ${s.mode || 'none'}, engine ${s.engine || 'none'}${Object.keys(s.engines).length > 1 ? ` (copied by ${requests(s.engines)})` : ''}; requests: ${requests(s.requests)}${s.dryRun ? ` (a run would add ${runCost(s)})` : ''}`,
    ...(split(s) ? [`  ${split(s)}`] : []),
    ...(s.adaptive ? [`  concurrency: adaptive, ${int(s.adaptive.limit)} in flight at the end (peak ${int(s.adaptive.peak)}); backed off ${int(s.adaptive.backoffs.throttled)}× on SlowDown, ${int(s.adaptive.backoffs.latency)}× on rising latency`] : []),
    ...(s.throttled ? [`  throttled: ${int(s.throttled)} answers said SlowDown; each was retried after a backoff`] : []),
    ...routeLine(s),
    ...(s.deleted || s.deleteLimitReached || s.deletePlanned
      ? [`  ${s.dryRun ? `would delete ${int(s.deletePlanned ?? 0)}` : `deleted ${int(s.deleted)}`} absent at the source${s.deleteLimitReached ? `; ${s.dryRun ? 'would STOP' : 'STOPPED'} at --max-delete, more remain (exit 1)` : ''}`]
      : []),
    ...(s.mismatches ? [`  CHECKSUM MISMATCHES: ${int(s.mismatches)} (exit code 3); each is listed above and was taken out of its mirrored key`] : []),
    `  bytes through this host: ${bytes(s.bytesThroughHost)}${s.peakDiskBytes ? `, peak local disk ${bytes(s.peakDiskBytes)}` : ''}; ${s.seconds.toFixed(2)} s`,
  ]
}

/** "server-side 1,998, through this host 2" when a run copied both ways. */
function split(s: JobSummary): string | undefined {
  const direct = (s.engines.s5cmd ?? 0) + (s.engines.sdk ?? 0)
  const host = (s.engines.stream ?? 0) + (s.engines.staged ?? 0)
  return direct && host ? `split: server-side ${int(direct)}, through this host ${int(host)}` : undefined
}

/** What copying the planned items would cost: one copy request each, plus the size checks. */
function runCost(s: JobSummary): string {
  const { ListObjectsV2: lists, HeadObject: heads, DeleteObjects: deletes, ...copies } = runRequests(s)
  if (!Object.keys(copies).length) return deletes ? `DeleteObjects ${int(deletes)}` : 'nothing'
  const checks = [lists ? `ListObjectsV2 ~${int(lists)}` : '', heads ? `HeadObject ${int(heads)}` : ''].filter(Boolean).join(', ')
  return `${requests(copies)}${checks ? `; size checks ${checks}` : ''}${deletes ? `; DeleteObjects ${int(deletes)}` : ''}`
}

/** A dry run's two routes side by side, when it priced them. */
function routeLine(s: JobSummary): string[] {
  if (!s.routes) return []
  const usd = (n: number) => `$${n < 10 ? n.toFixed(4) : n.toFixed(2)}`
  const { lakesync, batchOps, prices } = s.routes
  const lines = [`  cost: lakesync ${int(lakesync.requests)} requests ≈ ${usd(lakesync.usd)}; S3 Batch Operations ${int(batchOps.requests)} requests + 1 job ≈ ${usd(batchOps.usd)} (prices: ${prices})`]
  const x = s.crossRegion
  if (x) lines.push(`  cross-region: ${bytes(x.bytes)} from ${x.from} to ${x.to} at $${x.perGB}/GB ≈ ${usd(x.usd)} either way, billed to the source bucket's owner (to you if it is Requester Pays); the requests above are billed to the destination's account`)
  return lines
}

/** A running job in one line: copies answered of planned, checked, failed, in flight; the rate; the ETA once the listing is done. */
/** " (shard 1/4 of run daily@2026-11-26)" after a sharded job's name, else nothing. */
export const shardText = (shard: Shard | undefined) => (shard ? ` (shard ${shard.index}/${shard.count} of run ${shard.runId})` : '')

export function progressLine(p: EventOf<'progress'>): string {
  const of = p.listingDone ? ` of ${int(p.toCopy)}` : ` of ${int(p.toCopy)} planned so far (${int(p.listed)} listed)`
  const eta = p.etaSeconds !== undefined ? ` · ETA ${duration(p.etaSeconds)}` : ''
  return `copied ${int(p.answered)}${of} (${int(p.copied)} checked), failed ${int(p.failed)}, in flight ${int(p.inFlight)}${p.limit !== undefined ? ` (limit ${int(p.limit)})` : ''}${p.throttled ? `, throttled ${int(p.throttled)}` : ''}, unchanged ${int(p.skipped)} · ${int(Math.round(p.objectsPerSecond))} objects/s, ${bytes(p.bytesPerSecond)}/s${eta}`
}

const duration = (s: number) => (s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`)

/** The gap report of a Binance source: what the archive lacks, and keys off its naming. */
export function gapLines(e: EventOf<'gaps'>, limit = 50): string[] {
  const lines = [`${e.job}: gap report: ${int(e.expected)} files expected, ${int(e.missing.length)} missing at the source, ${int(e.stray.length)} stray keys (copied, flagged)`]
  for (const m of e.missing.slice(0, limit)) lines.push(`  missing: ${m}`)
  if (e.missing.length > limit) lines.push(`  … ${int(e.missing.length - limit)} more missing (--json lists all)`)
  for (const k of e.stray.slice(0, limit)) lines.push(`  stray: ${printableKey(k)}`)
  if (e.stray.length > limit) lines.push(`  … ${int(e.stray.length - limit)} more stray keys`)
  return lines
}
