import type { BinanceOptions, BinanceSelector } from '../api/config.ts'
import { DATA_TYPES, hasIntervals, INTERVALS, MARKETS, type Frequency, type Market } from './binance-layout.ts'
import { parseDate } from './dates.ts'


export const binance = {
  /** The Binance public archive as a source: `binance.archive({ market, frequency, dataType, symbols, ... })`. */
  archive: (options: BinanceOptions): BinanceSelector => ({ kind: 'binance', ...options }),
  /**
   * A key mapping to Hive-style partitions: data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.zip →
   * market=spot/type=klines/symbol=BTCUSDT/interval=1m/date=2024-01-01/BTCUSDT-1m-2024-01-01.zip.
   */
  hiveKeys: () => (key: string): string => {
    const m = /^data\/(spot|futures\/um|futures\/cm|option)\/(?:daily|monthly)\/([^/]+)\/([^/]+)\/(?:([^/]+)\/)?([^/]+)$/.exec(key)
    if (!m) return `unmatched/${key}`
    const [, market, type, symbol, interval, file] = m
    const date = /-(\d{4}-\d{2}(?:-\d{2})?)\.zip/.exec(file!)?.[1] ?? 'unknown'
    return `market=${market!.replace('/', '-')}/type=${type}/symbol=${symbol}/${interval ? `interval=${interval}/` : ''}date=${date}/${file}`
  },
}

/** Checks a selector against the archive's layout; each problem names the rule. */
export function validateSelector(s: Record<string, unknown>): string[] {
  const p: string[] = []
  const allowed = ['kind', 'market', 'frequency', 'dataType', 'symbols', 'intervals', 'from', 'to', 'sidecars', 'bucket', 'connection']
  for (const k of Object.keys(s)) if (!allowed.includes(k)) p.push(`${k}: unknown field; expected one of ${allowed.slice(1).join(', ')}`)
  if (!MARKETS.includes(s.market as Market)) return [...p, `market: expected one of ${MARKETS.join(', ')}, got ${JSON.stringify(s.market)}`]
  const market = s.market as Market
  if (s.frequency !== 'daily' && s.frequency !== 'monthly') p.push(`frequency: expected daily or monthly, got ${JSON.stringify(s.frequency)}`)
  const types = DATA_TYPES[market]
  const dataType = s.dataType as string
  if (!types[dataType]) p.push(`dataType: ${market} publishes ${Object.keys(types).join(', ')}; got ${JSON.stringify(dataType)}`)
  else if (typeof s.frequency === 'string' && !types[dataType]!.includes(s.frequency as Frequency)) {
    p.push(`frequency: ${dataType} on ${market} is ${types[dataType]!.join(' and ')} only, not ${s.frequency}`)
  }
  if (s.symbols !== '*' && !(Array.isArray(s.symbols) && s.symbols.length && s.symbols.every((x) => typeof x === 'string' && /^[A-Z0-9_-]+$/.test(x)))) {
    p.push(`symbols: expected a list of upper-case symbols such as ["BTCUSDT"] or '*', got ${JSON.stringify(s.symbols)}`)
  }
  if (dataType && types[dataType]) {
    if (hasIntervals(dataType)) {
      if (!Array.isArray(s.intervals) || !s.intervals.length) p.push(`intervals: ${dataType} are stored per interval; list some, e.g. ['1m', '1h']`)
      else for (const i of s.intervals as string[]) {
        if (i === '1M') p.push(`intervals: the monthly interval's folder is '1mo', not '1M'`)
        else if (!INTERVALS.includes(i)) p.push(`intervals: ${JSON.stringify(i)} is not an archive interval (${INTERVALS.join(' ')})`)
        else if (i === '1s' && market !== 'spot') p.push(`intervals: 1s klines exist for spot only, not ${market}`)
      }
    } else if (s.intervals !== undefined) p.push(`intervals: only kline types (${['klines', 'indexPriceKlines', 'markPriceKlines', 'premiumIndexKlines'].join(', ')}) have intervals; remove it for ${dataType}`)
  }
  const dates: Record<string, Date> = {}
  for (const k of ['from', 'to'] as const) {
    if (s[k] === undefined) continue
    const d = typeof s[k] === 'string' ? parseDate(s[k] as string) : `expected a date string, got ${JSON.stringify(s[k])}`
    if (typeof d === 'string') p.push(`${k}: ${d}`)
    else dates[k] = d
  }
  if (dates.from && dates.to && dates.from > dates.to) p.push(`from: ${s.from} is after to: ${s.to}`)
  if (s.sidecars !== undefined && typeof s.sidecars !== 'boolean') p.push('sidecars: expected true or false')
  return p
}

export interface GapReport {
  /** Files the selection expects that the source lacks: "SYMBOL[/INTERVAL] DATE". */
  missing: string[]
  /** Keys in the selected folders that do not follow the archive's naming. */
  stray: string[]
  expected: number
}

/** The prefix every key of the selection shares: data/{market}/{frequency}/{dataType}/ */
export const selectionRoot = (s: BinanceSelector) => `data/${s.market}/${s.frequency}/${s.dataType}/`
