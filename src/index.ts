// The public API a lakesync.config.ts imports from 'lakesync'.
export { defineConfig } from './config/define.ts'
export { s3 } from './config/location.ts'
export { binance } from './sources/binance.ts'
export type { BinanceSelector, BinanceOptions } from './sources/binance.ts'
export { ExitCode, LakesyncError } from './errors.ts'
export type * from './config/types.ts'
export type * from './plugins/types.ts'
export type * from './run/events.ts'
