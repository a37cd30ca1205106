import type { S3Transport } from '../api/transport.ts'
import type { ResolvedJob } from '../api/config.ts'
import { listSeries, selectedSeries, type Series, type SeriesListing } from '../list/binance-list.ts'
import type { GapReport } from '../sources/binance.ts'
import { compareKeys, withoutLastCharacter } from '../storage/keys.ts'
import { cutText } from '../util/printable.ts'
import { listPages, type ListedObject } from '../list/list.ts'
import { asPreflight, preflighted } from '../storage/preflight.ts'
import { pMapIterable } from 'p-map'
import { diffListings, mapSource, planMapped, type LastCopies } from './diff.ts'
import type { PlanItem } from '../api/items.ts'
import { shardOfName } from './shard.ts'
import { inLanes } from './interleave.ts'

type Clients = { source: S3Transport; dest: S3Transport }
type Options = { signal: AbortSignal; lastCopied?: Promise<LastCopies>; spread?: boolean }

/**
 * Lanes of series whose copies are taken in turn when the plan is spread: 16, each a sixteenth of
 * the selection's neighbouring series, so the copies in flight span the whole key range and every
 * partition S3 has split it into, not the next few folders, which one partition holds.
 */
const SPREAD_LANES = 16

/** What a Binance job's plan reads of the job: its sides, its filters and mapping, its shard and its listing width. */
type BinanceJob = Pick<ResolvedJob, 'source' | 'destination' | 'include' | 'exclude' | 'keyMap' | 'sourceFilter' | 'shard' | 'listConcurrency'>

/**
 * A Binance job's plan, series by series: each series folder is listed from its window's start
 * on both sides, `listConcurrency` series at once, and its items leave in key order, or (`spread`)
 * taken in turn from 16 lanes of series (plan/interleave.ts). A daily run
 * costs a page or two per series and side, whatever the archive's history; memory holds the
 * windows of the series in flight, never a whole listing.
 */
export async function* planBinance(job: BinanceJob, clients: Clients, o: Options, gaps: GapReport): AsyncGenerator<PlanItem> {
  const selected = await asPreflight(selectedSeries(clients.source, job.source.binance!, o.signal), job.source, 'source', o.signal)
  // A shard takes whole series, by name: the same ones on every worker, whatever the others are.
  const shard = job.shard
  const series = shard ? selected.filter((x) => shardOfName(x.prefix, shard.count) === shard.index) : selected
  yield* job.keyMap ? planMappedSeries(job, clients, o, series, gaps) : planSeries(job, clients, o, series, gaps)
  // Spread series are planned out of order: the gap report is put back in key order.
  if (o.spread) for (const list of [gaps.missing, gaps.stray]) list.sort(compareKeys)
}

/** Destination keys are the source keys under the destination prefix: both sides merge-join per series. */
async function* planSeries(job: BinanceJob, clients: Clients, o: Options, series: Series[], gaps: GapReport): AsyncGenerator<PlanItem> {
  const to = job.destination.prefix
  yield* inLanes(series, o.spread ? SPREAD_LANES : 1, job.listConcurrency, async (x, i) => {
    const listed = await sourceWindow(job, clients, o, x, i)
    let destination: AsyncIterable<ListedObject[]> = listPages(clients.dest, job.destination.bucket, to + x.prefix, { signal: o.signal, ...(x.startAfter ? { startAfter: to + x.startAfter } : {}) })
    if (i === 0) destination = preflighted(destination, job.destination, 'destination', o.signal)
    const items: PlanItem[] = []
    const diff = diffListings(streamOf([listed.objects]), destination, { sourcePrefix: '', destPrefix: to, include: job.include, exclude: job.exclude, ...(o.lastCopied ? { lastCopied: o.lastCopied } : {}) })
    for await (const item of diff) items.push(item)
    addGaps(gaps, listed.gaps)
    return items
  })
}

/**
 * With a keyMap the destination order may differ: every series' window is mapped first (so a
 * collision, even across series, stops the job before any copy), then each series' destination
 * keys are listed over the range its mapped keys span (for binance.hiveKeys(), that series'
 * window) and looked up.
 */
async function* planMappedSeries(job: BinanceJob, clients: Clients, o: Options, series: Series[], gaps: GapReport): AsyncGenerator<PlanItem> {
  const taken = new Map<string, ListedObject>()
  const windows: Map<string, ListedObject>[] = []
  // Up to listConcurrency series listed ahead, their windows taken in order.
  const listed = pMapIterable(series, (x, i) => sourceWindow(job, clients, o, x, i), { concurrency: job.listConcurrency, backpressure: job.listConcurrency })
  for await (const { objects, gaps: g } of listed) {
    addGaps(gaps, g)
    const mapped = await mapSource([objects], { sourcePrefix: '', destPrefix: job.destination.prefix, include: job.include, exclude: job.exclude }, job.keyMap!, taken)
    for (const [k, v] of mapped) taken.set(k, v)
    windows.push(mapped)
  }
  const lastCopied = await o.lastCopied
  yield* inLanes(windows, o.spread ? SPREAD_LANES : 1, job.listConcurrency, async (mapped) => {
    const items: PlanItem[] = []
    for await (const item of planMapped(mapped, destinationRange(job, clients.dest, [...mapped.keys()], o.signal), lastCopied)) items.push(item)
    return items
  })
}

/** The destination keys between the lowest and highest of `keys` (none when `keys` is empty). */
async function* destinationRange(job: Pick<ResolvedJob, 'destination'>, transport: S3Transport, keys: string[], signal: AbortSignal): AsyncGenerator<ListedObject[]> {
  if (!keys.length) return
  keys.sort(compareKeys)
  const first = keys[0]!
  const last = keys[keys.length - 1]!
  let shared = 0
  while (shared < first.length && first[shared] === last[shared]) shared++
  yield* listPages(transport, job.destination.bucket, cutText(first, shared), { signal, startAfter: withoutLastCharacter(first), through: last })
}

/** One series' source window, its sourceFilter applied; the first series' errors are the preflight's. */
async function sourceWindow(job: Pick<ResolvedJob, 'source' | 'sourceFilter'>, clients: Clients, o: Options, x: Series, index: number): Promise<SeriesListing> {
  const listing = listSeries(clients.source, job.source.binance!, x, o.signal)
  const listed = index === 0 ? await asPreflight(listing, job.source, 'source', o.signal) : await listing
  return job.sourceFilter ? { ...listed, objects: listed.objects.filter((l) => job.sourceFilter!(l.key)) } : listed
}

async function* streamOf<T>(items: T[]): AsyncGenerator<T> {
  yield* items
}

function addGaps(total: GapReport, part: GapReport) {
  total.expected += part.expected
  total.missing.push(...part.missing)
  total.stray.push(...part.stray)
}
