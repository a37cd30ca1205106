import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** How the benchmarks start lakesync: the single binary when built (as users run it), else the bundle on this Node. */
export function lakesyncCommand(): string[] {
  const binary = path.join(root, 'dist/lakesync')
  return existsSync(binary) ? [binary] : [process.execPath, path.join(root, 'dist/lib/lakesync.mjs')]
}
