// First-party plugins, importable as 'lakesync/plugins'. Each uses only the public plugin API.
export type { Plugin } from '../src/index.ts'
export { autoMode } from './auto-mode.ts'
export { fallback } from './fallback.ts'
export { checksums, checksumVerifier } from './checksums.ts'
export { benchReport } from './bench-report.ts'
