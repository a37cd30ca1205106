import type { S3Transport } from '../api/transport.ts'
import { listLevel, listObjects, type ListedObject } from './list.ts'
import { compareKeys } from '../storage/keys.ts'
import type { BinanceSelector } from '../api/config.ts'
import { BINANCE_BUCKET, fileStem, hasIntervals, seriesPrefix } from '../sources/binance-layout.ts'
import { dateLabels, parseDate } from '../sources/dates.ts'
import { selectionRoot, type GapReport } from '../sources/binance.ts'

/** One series folder of a selection (a symbol, and an interval for klines) and the window it is read in. */
export interface Series {
  symbol: string
  interval?: string
  /** The folder: data/spot/daily/klines/BTCUSDT/1m/ */
  prefix: string
  /**
   * The key just before the window's first file (`…/BTCUSDT-1m-2024-01-01`, which sorts before
   * `…-2024-01-01.zip`): keys of one series sort by date, so the listing starts there.
   * Undefined without `from`: gaps are then counted from the series' first file.
   */
  startAfter?: string
}

/** The series a selection reads, in key order ('*' lists the symbol folders once, with a delimiter). */
export async function selectedSeries(transport: S3Transport, s: BinanceSelector, signal: AbortSignal): Promise<Series[]> {
  const bucket = s.bucket ?? BINANCE_BUCKET
  const symbols = s.symbols === '*' ? await listSymbols(transport, bucket, selectionRoot(s), signal) : [...s.symbols]
  const intervals = hasIntervals(s.dataType) ? s.intervals ?? [] : [undefined]
  const lo = s.from ? dateLabel(parseDate(s.from) as Date, s) : undefined
  const series = symbols.flatMap((symbol) => intervals.map((interval) => {
    const prefix = seriesPrefix(s.market, s.frequency, s.dataType, symbol, interval)
    return { symbol, ...(interval ? { interval } : {}), prefix, ...(lo ? { startAfter: `${prefix}${fileStem(s.dataType, symbol, interval)}-${lo}` } : {}) }
  }))
  return series.sort((a, b) => compareKeys(a.prefix, b.prefix))
}

/** A series' keys in the window: zips (and their sidecars unless `sidecars: false`), strays kept. */
export interface SeriesListing {
  objects: ListedObject[]
  /** The gap report of this series alone (strays counted from the window's start). */
  gaps: GapReport
}

/** Lists one series from its window's start, keeps what the selection wants, and finds its gaps. */
export async function listSeries(transport: S3Transport, s: BinanceSelector, x: Series, signal: AbortSignal): Promise<SeriesListing> {
  const stem = fileStem(s.dataType, x.symbol, x.interval)
  const dateRe = s.frequency === 'daily' ? '\\d{4}-\\d{2}-\\d{2}' : '\\d{4}-\\d{2}'
  const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(${dateRe})\\.zip(\\.CHECKSUM)?$`)
  const to = parseDate(s.to ?? 'yesterday') as Date
  const lo = s.from ? dateLabel(parseDate(s.from) as Date, s) : undefined
  const hi = dateLabel(to, s)
  const gaps: GapReport = { missing: [], stray: [], expected: 0 }
  const objects: ListedObject[] = []
  const seen = new Set<string>()
  const listing = listObjects(transport, s.bucket ?? BINANCE_BUCKET, x.prefix, { signal, pageSize: 1000, firstPageSize: 1000, ...(x.startAfter ? { startAfter: x.startAfter } : {}) })
  for await (const o of listing) {
    const m = pattern.exec(o.key.slice(x.prefix.length))
    if (!m) {
      gaps.stray.push(o.key)
      objects.push(o)
      continue
    }
    const date = m[1]!
    if ((lo && date < lo) || date > hi) continue
    if (!m[2]) seen.add(date)
    if (!m[2] || s.sidecars !== false) objects.push(o)
  }
  const first = lo ?? [...seen].sort()[0]
  if (first) {
    const expected = dateLabels(parseDate(first) as Date, to, s.frequency)
    gaps.expected = expected.length
    for (const d of expected) if (!seen.has(d)) gaps.missing.push(`${x.symbol}${x.interval ? `/${x.interval}` : ''} ${d}`)
  }
  return { objects, gaps }
}

const dateLabel = (d: Date, s: BinanceSelector) => (s.frequency === 'daily' ? d.toISOString().slice(0, 10) : d.toISOString().slice(0, 7))

/** The archive's symbol folders under a data type (ListObjectsV2 with a delimiter). */
async function listSymbols(transport: S3Transport, bucket: string, root: string, signal: AbortSignal): Promise<string[]> {
  const { prefixes } = await listLevel(transport, bucket, root, { signal, where: `the symbol folders of s3://${bucket}/${root}` })
  return prefixes.map((p) => p.slice(root.length, -1))
}
