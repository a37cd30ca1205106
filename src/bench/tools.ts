import { access, constants } from 'node:fs/promises'
import path from 'node:path'
import { checkoutToolsDir } from '../engines/find-s5cmd.ts'

const ENV: Record<string, string> = { versitygw: 'LAKESYNC_VERSITYGW', s5cmd: 'LAKESYNC_S5CMD' }

/** A helper binary: its LAKESYNC_* variable, then PATH, then the checkout's .tools/bin. */
export async function findTool(name: string, env = process.env): Promise<string | undefined> {
  const ok = (p: string) => access(p, constants.X_OK).then(() => true, () => false)
  const named = ENV[name] && env[ENV[name]!]
  if (named) return (await ok(named)) ? named : undefined
  for (const dir of [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), checkoutToolsDir()].filter(Boolean) as string[]) {
    if (await ok(path.join(dir, name))) return path.join(dir, name)
  }
  return undefined
}
