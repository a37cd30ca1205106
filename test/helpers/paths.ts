import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const TOOLS_BIN = path.join(ROOT, '.tools/bin')
export const CLI = path.join(ROOT, 'src/cli/run.ts')
