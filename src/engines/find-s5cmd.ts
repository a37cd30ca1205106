import { ConfigError } from '../api/errors.ts'
import { checkoutToolsDir, executable, findTool } from '../util/find-tool.ts'
import { exec } from '../util/exec.ts'
import { embeddedPath, embeddedS5cmd, installEmbeddedS5cmd } from './embedded-s5cmd.ts'

export interface S5cmdLocation {
  path: string
  /** Where it was found, for `doctor` and the decision line. */
  from: 'config' | 'LAKESYNC_S5CMD' | 'PATH' | 'checkout' | 'embedded'
  /** `s5cmd version`'s answer, read when the s5cmd is about to be used. */
  version?: string
  /** Set when the binary's own s5cmd could not be written to its cache dir: why. */
  unusable?: string
  /** The cached copy of the embedded s5cmd failed its SHA-256 check and was written again. */
  replaced?: boolean
}

export interface FindOptions {
  /**
   * The s5cmd is about to run: write the binary's own copy to the cache dir (checking the
   * SHA-256 of one already there) and read its version. Without it the embedded s5cmd is only
   * reported, since hashing ~18 MB on every start would slow runs that copy with another engine.
   */
  use?: boolean
}

/**
 * s5cmd from config, then LAKESYNC_S5CMD, then PATH, then the checkout's .tools/bin, then the
 * one inside the single binary. One named explicitly (config or LAKESYNC_S5CMD) must be there:
 * quietly copying with another engine would hide the typo.
 */
export async function findS5cmd(configured?: string, env = process.env, options: FindOptions = {}): Promise<S5cmdLocation | undefined> {
  const found = await findInstalled(configured, env)
  if (found) return options.use ? { ...found, version: await versionOf(found.path) } : found
  const embedded = embeddedS5cmd()
  if (!embedded) return undefined
  if (!options.use) return { path: embeddedPath(embedded, env), from: 'embedded', version: embedded.version }
  const installed = await installEmbeddedS5cmd(embedded, env)
  if ('unusable' in installed) return { path: embeddedPath(embedded, env), from: 'embedded', version: embedded.version, unusable: installed.unusable }
  return { path: installed.path, from: 'embedded', version: embedded.version, replaced: installed.replaced }
}

async function findInstalled(configured: string | undefined, env: NodeJS.ProcessEnv): Promise<S5cmdLocation | undefined> {
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

async function versionOf(s5cmd: string): Promise<string | undefined> {
  const r = await exec(s5cmd, ['version'], process.env).catch(() => undefined)
  return r?.code === 0 ? r.stdout.trim() : undefined
}

/** "s5cmd v2.3.0-991c9fb (embedded, ~/.cache/lakesync/s5cmd-…)": which s5cmd, for doctor and the decision line. */
export function describeS5cmd(s5cmd: S5cmdLocation): string {
  return `s5cmd ${s5cmd.version ?? '(version unknown)'} (${s5cmd.from === 'embedded' ? 'the binary\'s own' : `from ${s5cmd.from}`}, ${s5cmd.path})`
}
