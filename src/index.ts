// The public API a lakesync.config.ts imports from 'lakesync'.
export { defineConfig } from './config/define.ts'
export { s3 } from './config/location.ts'
export { binance } from './sources/binance.ts'
export { ExitCode, LakesyncError } from './api/errors.ts'
export type * from './api/config.ts'
export type * from './api/events.ts'
export type * from './api/bench-report.ts'
/** Option tables: a plugin declares its own options with these (see plugins/checksums.ts). */
export type { OptionSpec, OptionTable, ValuesOf, PluginOptionValues } from './api/options.ts'
/** A bench report as Markdown: what `lakesync bench` writes to report.md (for report plugins). */
export { benchMarkdown } from './bench/format.ts'
/** Sidecar and checksum helpers, for plugins that verify copies (see plugins/checksums.ts). */
export { SIDECAR, parseSidecar, readSidecar, storedSha256, readSha256, quarantineCopy } from './verify/checksum.ts'
/** What lakesync asks of S3 (a `verifyCopy` hook's `ctx.source` and `ctx.dest`). */
export type * from './api/transport.ts'
/** The one table of S3 and network error codes by what they mean (throttled, transient, …); an onItemError hook gets its error's classes. */
export { ERROR_CLASSES, classesOf, isOfClass, type ErrorClass } from './api/error-classes.ts'
