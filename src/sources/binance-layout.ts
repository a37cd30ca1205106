// The Binance public archive's layout (see test/fixtures/binance/README.md), as rules.

export const BINANCE_BUCKET = 'data.binance.vision'
/**
 * The archive's own endpoint, named so that an AWS_ENDPOINT_URL meant for the lake does not
 * apply to it; path-style, since a dotted name cannot be a host under S3's TLS certificate.
 * Read anonymously.
 */
export const BINANCE_CONNECTION = { endpoint: 'https://s3.ap-northeast-1.amazonaws.com', region: 'ap-northeast-1', anonymous: true } as const

import type { Frequency, Market } from '../api/config.ts'

export type { Frequency, Market }
export const MARKETS: readonly Market[] = ['spot', 'futures/um', 'futures/cm', 'option']

export const KLINE_TYPES = ['klines', 'indexPriceKlines', 'markPriceKlines', 'premiumIndexKlines']
export const INTERVALS = ['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1mo']

const BOTH: Frequency[] = ['daily', 'monthly']
const UM: Record<string, Frequency[]> = {
  klines: BOTH, aggTrades: BOTH, trades: BOTH, bookTicker: BOTH,
  indexPriceKlines: BOTH, markPriceKlines: BOTH, premiumIndexKlines: BOTH,
  fundingRate: ['monthly'], bookDepth: ['daily'], metrics: ['daily'],
}
/** Which data types each market publishes, and at which frequencies. */
export const DATA_TYPES: Record<Market, Record<string, Frequency[]>> = {
  spot: { klines: BOTH, aggTrades: BOTH, trades: BOTH },
  'futures/um': UM,
  'futures/cm': { ...UM, liquidationSnapshot: ['daily'] },
  option: { BVOLIndex: ['daily'], EOHSummary: ['daily'] },
}

export const hasIntervals = (dataType: string) => KLINE_TYPES.includes(dataType)

/** The folder of one series: data/{market}/{frequency}/{dataType}/{SYMBOL}/[{INTERVAL}/] */
export function seriesPrefix(market: Market, frequency: Frequency, dataType: string, symbol: string, interval?: string): string {
  return `data/${market}/${frequency}/${dataType}/${symbol}/${interval ? `${interval}/` : ''}`
}

/** File stem before the date: {SYMBOL}-{INTERVAL} for klines, {SYMBOL}-{dataType} otherwise. */
export function fileStem(dataType: string, symbol: string, interval?: string): string {
  return `${symbol}-${interval ?? dataType}`
}
