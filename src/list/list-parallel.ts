import type { S3Transport } from '../api/transport.ts'
import { compareKeys } from '../storage/keys.ts'
import { advancingToken, checkOrder, listLevel, listPages, type ListedObject } from './list.ts'

/** What parallel listing needs of a bucket: the seam a unit test fills with a fake. */
export interface Lister {
  /** Folders (`…/`) and loose keys directly under `prefix` (delimiter '/'), in key order, from up to a few pages. */
  level(prefix: string): Promise<string[]>
  /** The keys under `prefix` after `after` and up to `through` (each when given), in key order, a page at a time, each page asked when wanted. */
  pages(prefix: string, range: { after?: string; through?: string; prefetch?: boolean }): AsyncIterable<ListedObject[]>
  /** Up to `maxKeys` keys under `prefix` (after `after`, when given), and whether more follow; never an empty page that says more follow. */
  page(prefix: string, maxKeys: number, after?: string): Promise<{ objects: ListedObject[]; truncated: boolean }>
}

/** The keys after `after` and up to `through` (each when given). */
export interface KeySpan {
  after?: string
  through?: string
}

/** Delimiter pages read per folder when looking for split points. */
const LEVEL_PAGES = 5

export function s3Lister(transport: S3Transport, bucket: string, signal: AbortSignal): Lister {
  return {
    async level(prefix) {
      const { keys, prefixes } = await listLevel(transport, bucket, prefix, { signal, maxPages: LEVEL_PAGES, where: `the folders of s3://${bucket}/${prefix}` })
      return [...keys, ...prefixes].sort(compareKeys)
    },
    async page(prefix, maxKeys, after) {
      const input = { bucket, prefix, maxKeys }
      let page = await transport.listPage({ ...input, ...(after !== undefined ? { startAfter: after } : {}) }, signal)
      // A server may answer an empty page that says more follow: its token leads on, never to the same page twice.
      for (let token: string | undefined; page.truncated && !page.objects.length; ) {
        token = advancingToken(true, page.nextToken, token, `s3://${bucket}/${prefix}`)
        page = await transport.listPage({ ...input, token }, signal)
      }
      page.objects.forEach((o, i) => checkOrder(i ? page.objects[i - 1]!.key : after, o.key, bucket))
      return page
    },
    // Ranges are read ahead of the copies: full pages from the first.
    pages: (prefix, range) => listPages(transport, bucket, prefix, { signal, pageSize: 1000, firstPageSize: 1000, prefetch: range.prefetch ?? false, ...(range.after !== undefined ? { startAfter: range.after } : {}), ...(range.through !== undefined ? { through: range.through } : {}) }),
  }
}

/** A lister that asks for each folder level once: a shard looks for its span, then its ranges, in the same levels. */
export function withLevelCache(lister: Lister): Lister {
  const levels = new Map<string, Promise<string[]>>()
  return {
    ...lister,
    level(prefix) {
      if (!levels.has(prefix)) levels.set(prefix, lister.level(prefix))
      return levels.get(prefix)!
    },
  }
}

/** Delimiter levels explored at most (data/spot/daily/klines/SYMBOL/ is five deep). */
const MAX_DEPTH = 8

/**
 * Keys that cut a prefix (or one span of it) into about `parts` ranges, found breadth first: the
 * folders and loose keys of each level, descending while there are fewer than `enough` (parts - 1
 * unless told). Any sorted set of keys cuts a listing into ranges (after one cut, through the
 * next) that concatenate to the whole, so the choice only balances the work; it cannot lose or
 * repeat a key. With a span, only folders that reach into it are read: a shard looks at its own
 * part.
 */
export async function splitPoints(lister: Lister, prefix: string, parts: number, span: KeySpan = {}, o: { enough?: number } = {}): Promise<string[]> {
  const enough = o.enough ?? parts - 1
  const points = new Set<string>()
  const expanded = new Set([prefix])
  let frontier = [prefix]
  const inside = (key: string) => (span.after === undefined || compareKeys(key, span.after) > 0) && (span.through === undefined || compareKeys(key, span.through) < 0)
  for (let depth = 0; depth < MAX_DEPTH && frontier.length && points.size < enough; depth++) {
    const levels = await Promise.all(frontier.map((f) => lister.level(f)))
    // A level of one folder (data/ → spot/ → daily/) cuts off nothing: neither that folder nor
    // its parent is a point, and the search goes on below it.
    const lone = new Set<string>()
    levels.forEach((entries, i) => {
      if (entries.length !== 1 || !entries[0]!.endsWith('/')) return
      lone.add(entries[0]!)
      points.delete(frontier[i]!)
    })
    frontier = []
    for (const entry of levels.flat()) {
      if (inside(entry) && !lone.has(entry)) points.add(entry)
      // A folder marker key ("a/") is listed inside its own folder: expand each folder once.
      if (entry.endsWith('/') && !expanded.has(entry) && reachesInto(entry, span)) {
        expanded.add(entry)
        frontier.push(entry)
      }
    }
  }
  const sorted = [...points].sort(compareKeys)
  if (sorted.length < parts) return sorted
  // Evenly spaced: parts - 1 cuts.
  return Array.from({ length: parts - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / parts)]!)
}

/**
 * Whether keys under `folder` can fall in the span, other than the folder's own marker key
 * (its keys run from "a/" up to, not including, "a0").
 */
function reachesInto(folder: string, span: KeySpan): boolean {
  const end = folder.slice(0, -1) + '0' // '0' follows '/'
  return (span.through === undefined || compareKeys(folder, span.through) < 0) && (span.after === undefined || compareKeys(span.after, end) < 0)
}

/**
 * Keys of the first page: few, so that the first copies start while the server lists more (it
 * answers 200 keys in about a fifth of the time of 1,000).
 */
const FIRST_PAGE = 200
/** Keys of the second page: a prefix that fits in the two is listed by them alone. */
const SECOND_PAGE = 1000
/**
 * Pages read ahead across a listing's ranges: requests in flight per side. A page's body and
 * objects take ~1 MB while read; 8 keeps a run under 150 MB (docs/BENCHMARKS-HISTORY.md §7).
 */
const BUFFER_PAGES = 8

/**
 * A prefix's keys (within `span`, when given) in key order, a page at a time, equal to a
 * sequential listing. A prefix bigger than the first two pages is listed as ranges after them,
 * `concurrency` at once; a small one costs its one or two requests.
 */
export async function* listPrefix(lister: Lister, prefix: string, o: { concurrency: number; bufferPages?: number; span?: KeySpan }): AsyncGenerator<ListedObject[]> {
  if (o.concurrency <= 1) {
    yield* lister.pages(prefix, { ...o.span, prefetch: true })
    return
  }
  // A shard's span is part of a big prefix: no first-page shortcut.
  if (o.span) {
    yield* listRanges(lister, prefix, await rangeCuts(lister, prefix, o.concurrency, o.span), { ...o, ...o.span })
    return
  }
  const first = await lister.page(prefix, FIRST_PAGE)
  const firstKey = first.objects[0]?.key
  if (firstKey === undefined) return
  if (!first.truncated) {
    yield first.objects
    return
  }
  // Asked before the first page is handed on; a consumer that stops early leaves it unread.
  const asked = lister.page(prefix, SECOND_PAGE, first.objects.at(-1)!.key)
  asked.catch(() => {})
  yield first.objects
  const second = await asked
  if (second.objects.length) yield second.objects
  const last = second.objects.at(-1)?.key
  if (!second.truncated || last === undefined) return
  // Cuts among the first pages' keys tell how dense the ranges are.
  const cuts = await rangeCuts(lister, prefix, o.concurrency, { after: firstKey })
  yield* listRanges(lister, prefix, thinByFirstPages(cuts, { first: firstKey, last, keys: first.objects.length + second.objects.length }), { ...o, after: last })
}

/**
 * A quarter of the wanted ranges is parallel enough for a listing, and the search for more stops
 * there: a level further down is read whole (a folder of keys costs what listing it does), which
 * for a prefix of a few folders of keys means listing it twice.
 */
const rangeCuts = (lister: Lister, prefix: string, concurrency: number, span: KeySpan = {}) =>
  splitPoints(lister, prefix, concurrency, span, { enough: Math.ceil(concurrency / 4) })

/** Keys a range should hold, at least, to be worth its own requests (each range ends with a page that overshoots it). */
const MIN_RANGE_KEYS = 5000

/**
 * The cuts after the first pages, thinned by what they showed: when cuts fell among their keys,
 * ranges are that dense, and a range of a few hundred keys costs a request (and on some servers a
 * walk of the folder) for less than a page. So neighbouring ranges are merged until each holds
 * about MIN_RANGE_KEYS by that density; a small prefix is then listed as one range. A cut at or
 * before the first key (its own folder) says nothing of density. Thinning only balances
 * the work: any cuts list the same keys.
 */
export function thinByFirstPages(cuts: string[], page: { first: string; last: string; keys: number }): string[] {
  const inPage = cuts.filter((c) => compareKeys(c, page.first) > 0 && compareKeys(c, page.last) <= 0).length
  const rest = cuts.filter((c) => compareKeys(c, page.last) > 0)
  if (inPage === 0) return rest
  const step = Math.ceil(MIN_RANGE_KEYS / (page.keys / inPage))
  return rest.filter((_, i) => (i + 1) % step === 0)
}

/**
 * The ranges between `cuts` (within `after` and `through`, when given), `concurrency` at once,
 * their pages yielded in key order. Ranges ahead of the one being read fetch pages while fewer
 * than `bufferPages` pages (fetched or being fetched) wait in all; the range being read always
 * may, so the stream never stalls on the budget. Memory: about `bufferPages` pages per listing.
 */
async function* listRanges(lister: Lister, prefix: string, cutKeys: string[], o: { concurrency: number; bufferPages?: number } & KeySpan): AsyncGenerator<ListedObject[]> {
  const cuts = [...new Set(cutKeys)]
  const ends = [...cuts, o.through]
  const ranges = [o.after, ...cuts].map((after, i) => ({ ...(after !== undefined ? { after } : {}), ...(ends[i] !== undefined ? { through: ends[i] } : {}) }))
  const budget = new PageBudget(o.bufferPages ?? BUFFER_PAGES)
  const readers: (RangeReader | undefined)[] = []
  let current = 0
  const start = () => {
    while (readers.length < Math.min(ranges.length, current + Math.max(1, o.concurrency))) {
      const index = readers.length
      readers.push(new RangeReader(lister.pages(prefix, ranges[index]!), budget, () => current === index))
    }
  }
  try {
    for (; current < ranges.length; current++) {
      start()
      budget.wake()
      yield* readers[current]!.drain()
      readers[current] = undefined // read: its pages can go
    }
  } finally {
    for (const r of readers) r?.stop()
  }
}

/** Pages fetched or being fetched but not yet consumed, across all ranges; readers ahead wait while it is full. */
class PageBudget {
  used = 0
  private waiters: (() => void)[] = []
  constructor(readonly max: number) {}
  full() {
    return this.used >= this.max
  }
  wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r))
  }
  release(n: number) {
    this.used -= n
    this.wake()
  }
  wake() {
    const w = this.waiters
    this.waiters = []
    for (const r of w) r()
  }
}

/** Reads one range's pages into a queue in the background; `drain` yields its keys in order. */
class RangeReader {
  private readonly queue: ListedObject[][] = []
  private done = false
  private failed: unknown
  private stopped = false
  private notify: (() => void) | undefined
  private readonly it: AsyncIterator<ListedObject[]>

  constructor(source: AsyncIterable<ListedObject[]>, private readonly budget: PageBudget, private readonly isCurrent: () => boolean) {
    this.it = source[Symbol.asyncIterator]()
    void this.fill()
  }

  private async fill() {
    try {
      while (!this.stopped) {
        while (this.budget.full() && !this.isCurrent() && !this.stopped) await this.budget.wait()
        this.budget.used++ // the page about to be asked for
        const r = await this.it.next()
        if (r.done) {
          this.budget.release(1)
          break
        }
        this.queue.push(r.value)
        this.notify?.()
      }
    } catch (error) {
      this.failed = error
    }
    this.done = true
    this.notify?.()
  }

  async *drain(): AsyncGenerator<ListedObject[]> {
    for (;;) {
      const page = this.queue.shift()
      if (page) {
        this.budget.release(1)
        yield page
        continue
      }
      if (this.failed !== undefined) throw this.failed
      if (this.done) return
      await new Promise<void>((r) => (this.notify = r))
      this.notify = undefined
    }
  }

  stop() {
    this.stopped = true
    void this.it.return?.()
  }
}
