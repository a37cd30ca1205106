import { access, constants } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { singleBinaryAssets } from './single-binary.ts'

const ENV: Record<string, string> = { versitygw: 'LAKESYNC_VERSITYGW', s5cmd: 'LAKESYNC_S5CMD' }

export const executable = (p: string) => access(p, constants.X_OK).then(() => true, () => false)

/** The project-local bin folder that `npm run setup` fills, when running from a checkout. */
export function checkoutToolsDir(): string | undefined {
  // The binary's import.meta.url is its own path: a binary under dist/ would find the checkout it was built in.
  if (singleBinaryAssets()) return undefined
  try {
    return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.tools/bin')
  } catch {
    return undefined // the single binary has no checkout
  }
}

/** A helper binary: its LAKESYNC_* variable, then PATH, then the checkout's .tools/bin. */
export async function findTool(name: string, env = process.env): Promise<string | undefined> {
  const named = ENV[name] && env[ENV[name]!]
  if (named) return (await executable(named)) ? named : undefined
  for (const dir of [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), checkoutToolsDir()].filter(Boolean) as string[]) {
    if (await executable(path.join(dir, name))) return path.join(dir, name)
  }
  return undefined
}
