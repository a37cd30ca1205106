import type { S3Transport } from '../api/transport.ts'
import type { ResolvedJob } from '../api/config.ts'
import type { ListedObject } from '../list/list.ts'
import { listPrefix, s3Lister, withLevelCache, type KeySpan, type Lister } from '../list/list-parallel.ts'
import { mapSpan, shardSpan } from './shard.ts'
import type { GapReport } from '../sources/binance.ts'
import { planBinance } from './plan-binance.ts'
import { preflighted } from '../storage/preflight.ts'
import { diffListings, type LastCopies } from './diff.ts'
import type { PlanItem } from '../api/items.ts'

export interface JobPlan {
  /** Copies, skips (and with `extras`, deletions), in source key order. */
  items: AsyncGenerator<PlanItem>
  /** Binance sources: filled as the listing goes. */
  gaps?: GapReport
}

/**
 * A job's plan, for sync, plan and verify alike: a Binance selection series by series
 * (plan-binance.ts), or a prefix (through the job's source filter) with the destination listed
 * where the source's keys land, both merged; a prefix bigger than a page is listed in
 * `listConcurrency` key ranges at once on each side. A sharded job (job.shard) plans one part:
 * its share of the series, or one span of the prefix's keys (src/plan/shard.ts). The first page
 * of each listing is the preflight: an error there names its side.
 */
export function planJob(job: ResolvedJob, clients: { source: S3Transport; dest: S3Transport }, o: { signal: AbortSignal; extras?: boolean; lastCopied?: Promise<LastCopies>; spread?: boolean }): JobPlan {
  if (job.source.binance) {
    const gaps: GapReport = { missing: [], stray: [], expected: 0 }
    return { items: planBinance(job, clients, o, gaps), gaps }
  }
  const sourceLister = withLevelCache(s3Lister(clients.source, job.source.bucket, o.signal))
  const span = job.shard ? shardSpan(sourceLister, job.source.prefix, job.shard) : undefined
  const ranges = { concurrency: rangesPerSide(job) }
  const listing = spanListing(sourceLister, job.source.prefix, span, ranges)
  const source = job.sourceFilter ? only(listing, job.sourceFilter) : listing
  // Unmapped keys keep their order, so the destination is listed only where the source's keys
  // land (a shard: where its span lands); mapped ones are looked up in the whole prefix.
  const destKey = (key: string) => job.destination.prefix + key.slice(job.stripPrefix.length)
  const destPrefix = job.keyMap ? job.destination.prefix : destKey(job.source.prefix)
  const destSpan = span && !job.keyMap ? span.then((s) => (s === 'empty' ? s : mapSpan(s, destKey))) : undefined
  const destListing = spanListing(s3Lister(clients.dest, job.destination.bucket, o.signal), destPrefix, destSpan, ranges)
  const items = diffListings(
    preflighted(source, job.source, 'source', o.signal),
    preflighted(destListing, job.destination, 'destination', o.signal),
    {
      sourcePrefix: job.stripPrefix, destPrefix: job.destination.prefix, include: job.include, exclude: job.exclude, mapKey: job.keyMap,
      ...(o.extras ? { extras: true } : {}), ...(o.lastCopied ? { lastCopied: o.lastCopied } : {}),
    },
  )
  return { items }
}

/**
 * Key ranges listed at once per side. A shard's span is 1/N of the prefix: N shards together
 * list about `listConcurrency` ranges, as one run would, and do not descend into levels (down to
 * the keys themselves) to find N times as many cuts.
 */
function rangesPerSide(job: Pick<ResolvedJob, 'listConcurrency' | 'shard'>): number {
  if (!job.shard || job.listConcurrency <= 1) return job.listConcurrency
  return Math.max(2, Math.ceil(job.listConcurrency / job.shard.count))
}

/** A prefix's listing, or a shard's span of it once that is known. */
async function* spanListing(lister: Lister, prefix: string, span: Promise<KeySpan | 'empty'> | undefined, o: { concurrency: number }): AsyncGenerator<ListedObject[]> {
  if (!span) return yield* listPrefix(lister, prefix, { concurrency: o.concurrency })
  const known = await span
  if (known !== 'empty') yield* listPrefix(lister, prefix, { ...o, span: known })
}

async function* only(listing: AsyncIterable<ListedObject[]>, accept: (key: string) => boolean): AsyncGenerator<ListedObject[]> {
  for await (const page of listing) {
    const kept = page.filter((o) => accept(o.key))
    if (kept.length) yield kept
  }
}
