import { ConfigError } from '../api/errors.ts'
import { checkoutToolsDir, executable, findTool } from '../util/find-tool.ts'

export interface S5cmdLocation {
  path: string
  /** Where it was found, for `doctor` and the decision line. */
  from: 'config' | 'LAKESYNC_S5CMD' | 'PATH' | 'checkout'
}

/**
 * s5cmd from config, then LAKESYNC_S5CMD, then PATH, then the checkout's .tools/bin. One named
 * explicitly (config or LAKESYNC_S5CMD) must be there: quietly copying with another engine
 * would hide the typo.
 */
export async function findS5cmd(configured?: string, env = process.env): Promise<S5cmdLocation | undefined> {
  const named = configured ? { path: configured, from: 'config' as const, where: 'the config\'s s5cmd' } : env.LAKESYNC_S5CMD ? { path: env.LAKESYNC_S5CMD, from: 'LAKESYNC_S5CMD' as const, where: 'LAKESYNC_S5CMD' } : undefined
  if (named) {
    if (await executable(named.path)) return { path: named.path, from: named.from }
    throw new ConfigError([`${named.where}: ${JSON.stringify(named.path)} is not an executable file`], `fix the path, or remove ${named.where} to use s5cmd from PATH (or the SDK engine without it)`)
  }
  const found = await findTool('s5cmd', env)
  if (!found) return undefined
  const tools = checkoutToolsDir()
  return { path: found, from: tools && found.startsWith(tools) ? 'checkout' : 'PATH' }
}
