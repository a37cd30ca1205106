import { access, constants } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export interface S5cmdLocation {
  path: string
  /** Where it was found, for `doctor` and the decision line. */
  from: 'config' | 'LAKESYNC_S5CMD' | 'PATH' | 'checkout'
}

const executable = (p: string) => access(p, constants.X_OK).then(() => true, () => false)

/** The project-local bin folder that `npm run setup` fills, when running from a checkout. */
export function checkoutToolsDir(): string | undefined {
  try {
    return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.tools/bin')
  } catch {
    return undefined
  }
}

/** s5cmd from config, then LAKESYNC_S5CMD, then PATH, then the checkout's .tools/bin. */
export async function findS5cmd(configured?: string, env = process.env): Promise<S5cmdLocation | undefined> {
  if (configured) return (await executable(configured)) ? { path: configured, from: 'config' } : undefined
  if (env.LAKESYNC_S5CMD) return (await executable(env.LAKESYNC_S5CMD)) ? { path: env.LAKESYNC_S5CMD, from: 'LAKESYNC_S5CMD' } : undefined
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 's5cmd')
    if (await executable(candidate)) return { path: candidate, from: 'PATH' }
  }
  const tools = checkoutToolsDir()
  if (tools && (await executable(path.join(tools, 's5cmd')))) return { path: path.join(tools, 's5cmd'), from: 'checkout' }
  return undefined
}
