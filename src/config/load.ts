import { cosmiconfig } from 'cosmiconfig'
import path from 'node:path'
import { access } from 'node:fs/promises'
import { ConfigError } from '../api/errors.ts'
import { ExportsNothing, loadConfigModule, type LakesyncModules } from './bundle-config.ts'
import type { OptionTable } from '../api/options.ts'
import { validateConfig } from './validate.ts'
import type { ConfigContext, UserConfig } from '../api/config.ts'
import { orNeverSettles } from '../util/never-settles.ts'

export const CONFIG_FILES = [
  'lakesync.config.ts',
  'lakesync.config.mts',
  'lakesync.config.mjs',
  'lakesync.config.js',
  'lakesync.config.json',
  'package.json',
]

export interface LoadedConfig {
  file: string
  config: UserConfig
}

/**
 * Finds (or opens the given) config file, evaluates it and validates it; all problems at once.
 * `plugins`: lakesync's own, whose options a config may set without listing them.
 */
export async function loadConfig(options: { file?: string; cwd?: string; lakesyncModules: LakesyncModules; context: ConfigContext; plugins?: readonly { name: string; options?: OptionTable }[] }): Promise<LoadedConfig | undefined> {
  const codeLoader = (file: string) => loadConfigModule(file, options.lakesyncModules)
  const explorer = cosmiconfig('lakesync', {
    searchPlaces: CONFIG_FILES,
    searchStrategy: 'none',
    loaders: { '.ts': codeLoader, '.mts': codeLoader, '.mjs': codeLoader, '.js': codeLoader },
    cache: false,
  })
  const cwd = options.cwd ?? process.cwd()
  let result
  const shown = (f: string) => path.relative(cwd, f) || f
  try {
    if (options.file) {
      const file = path.resolve(cwd, options.file)
      try {
        await access(file)
      } catch {
        throw new ConfigError([`${options.file}: cannot read the config file (does it exist?)`], 'pass --config with a path to a lakesync config, or run `lakesync init`')
      }
      result = await orNeverSettles(explorer.load(file), () => neverLoads(options.file!))
    } else {
      result = await orNeverSettles(explorer.search(cwd), () => neverLoads(`the config in ${cwd}`))
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const file = (error as any)?.filepath ?? options.file ?? 'config'
    if (error instanceof ExportsNothing) throw new ConfigError([`${shown(file)}: ${error.message}`])
    throw new ConfigError([`${shown(file)}: failed to load: ${firstLine(error)}`], 'fix the error in the config file; run with --verbose for the stack', { cause: error })
  }
  if (!result) return undefined
  const file = shown(result.filepath)
  let config = result.config
  if (result.isEmpty || config === undefined || config === null) {
    throw new ConfigError([`${file}: exports nothing; expected export default defineConfig({ jobs: {...} })`])
  }
  if (typeof config === 'function') {
    try {
      config = await orNeverSettles(Promise.resolve(config(options.context)), () => new ConfigError([`${file}: the exported config function's promise never settles (nothing is left that could resolve it)`], 'make the function return, or resolve its promise (an await on something that never answers?)'))
    } catch (error) {
      if (error instanceof ConfigError) throw error
      throw new ConfigError([`${file}: the exported config function threw: ${firstLine(error)}`])
    }
  }
  const problems = validateConfig(config, options.plugins)
  if (problems.length) throw new ConfigError(problems.map((p) => `${file}: ${p}`))
  return { file, config }
}

const neverLoads = (file: string) => new ConfigError([`${file}: loading it never finishes (a top-level await or exported promise that never settles)`], 'export defineConfig({ ... }), or a function that returns it')

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const line = message.split('\n').find((l) => l.trim()) ?? message
  if (/await is only valid/.test(line)) return `${line}; config files cannot use top-level await: export defineConfig(async () => ({ ... })) instead`
  return line
}
