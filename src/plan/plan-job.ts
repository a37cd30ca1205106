import type { S3Client } from '@aws-sdk/client-s3'
import type { ResolvedJob } from '../api/config.ts'
import type { ListedObject } from '../storage/list.ts'
import { listPrefix, s3Lister } from '../storage/list-parallel.ts'
import type { GapReport } from '../sources/binance.ts'
import { planBinance } from './plan-binance.ts'
import { preflighted } from '../storage/preflight.ts'
import { diffListings, type PlanItem } from './diff.ts'

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
 * `listConcurrency` key ranges at once on each side. The first page of each listing is the preflight: an error there names
 * its side.
 */
export function planJob(job: ResolvedJob, clients: { source: S3Client; dest: S3Client }, o: { signal: AbortSignal; extras?: boolean; lastCopied?: Promise<Map<string, string>> }): JobPlan {
  if (job.source.binance) {
    const gaps: GapReport = { missing: [], stray: [], expected: 0 }
    return { items: planBinance(job, clients, o, gaps), gaps }
  }
  const list = (client: S3Client, bucket: string, prefix: string) => listPrefix(s3Lister(client, bucket, o.signal), prefix, { concurrency: job.listConcurrency })
  const listing = list(clients.source, job.source.bucket, job.source.prefix)
  const source = job.sourceFilter ? only(listing, job.sourceFilter) : listing
  // Unmapped keys keep their order, so the destination is listed only where the source's keys land.
  const destPrefix = job.destination.prefix + (job.keyMap ? '' : job.source.prefix.slice(job.stripPrefix.length))
  const items = diffListings(
    preflighted(source, job.source, 'source', o.signal),
    preflighted(list(clients.dest, job.destination.bucket, destPrefix), job.destination, 'destination', o.signal),
    {
      sourcePrefix: job.stripPrefix, destPrefix: job.destination.prefix, include: job.include, exclude: job.exclude, mapKey: job.keyMap,
      ...(o.extras ? { extras: true } : {}), ...(o.lastCopied ? { lastCopied: o.lastCopied } : {}),
    },
  )
  return { items }
}

async function* only(listing: AsyncIterable<ListedObject[]>, accept: (key: string) => boolean): AsyncGenerator<ListedObject[]> {
  for await (const page of listing) {
    const kept = page.filter((o) => accept(o.key))
    if (kept.length) yield kept
  }
}
