import { checkoutToolsDir, executable, findTool } from '../util/find-tool.ts'

export interface S5cmdLocation {
  path: string
  /** Where it was found, for `doctor` and the decision line. */
  from: 'config' | 'LAKESYNC_S5CMD' | 'PATH' | 'checkout'
}

/** s5cmd from config, then LAKESYNC_S5CMD, then PATH, then the checkout's .tools/bin. */
export async function findS5cmd(configured?: string, env = process.env): Promise<S5cmdLocation | undefined> {
  if (configured) return (await executable(configured)) ? { path: configured, from: 'config' } : undefined
  const found = await findTool('s5cmd', env)
  if (!found) return undefined
  const tools = checkoutToolsDir()
  return { path: found, from: env.LAKESYNC_S5CMD ? 'LAKESYNC_S5CMD' : tools && found.startsWith(tools) ? 'checkout' : 'PATH' }
}
