import { ConfigError } from '../api/errors.ts'
import { sameEndpointUrl } from '../config/endpoint.ts'
import { resolveConfig } from '../config/resolve.ts'
import { optionProblems, validateConfig } from '../config/validate.ts'
import type { ConfigContext, ConnectionConfig, JobConfig, JobOptions, Plugin, ResolvedConfig, UserConfig } from '../api/config.ts'
import { flagName, withPluginOptions } from '../api/options.ts'
import { registerSecret } from '../util/redact.ts'
import { PluginContainer } from '../plugins/container.ts'
import { resolveShard } from '../plan/shard.ts'
import { autoMode, checksumVerifier, fallback } from '../../plugins/index.ts'
import { BUILTIN_PLUGIN_OPTIONS } from '../../plugins/builtin-options.ts'
import { FLAG_OPTIONS } from './flag-options.ts'

/** What the CLI hands a command: the selection, the ad-hoc job, and a flag per job option that overrides every job. */
export interface SelectionOptions extends JobOptions {
  /** The command, for a config function's context. */
  command?: ConfigContext['command']
  /** --env: which settings a config function returns. */
  env?: string
  config?: string
  jobs?: string[]
  from?: string
  to?: string
  endpoint?: string
  sourceEndpoint?: string
  destEndpoint?: string
  sourceAnonymous?: boolean
  include?: string[]
  exclude?: string[]
  /** --shard, --shard-count, --run-id (sync, plan, verify). */
  shard?: string
  shardCount?: number
  runId?: string
}

export interface Selection {
  config: ResolvedConfig
  plugins: PluginContainer
}

/** An ad-hoc job from --from/--to: one connection when both sides share an endpoint. */
function adhocConfig(o: SelectionOptions): UserConfig {
  const srcEndpoint = o.sourceEndpoint ?? o.endpoint
  const dstEndpoint = o.destEndpoint ?? o.endpoint
  const source: ConnectionConfig = { ...(srcEndpoint ? { endpoint: srcEndpoint } : {}), ...(o.sourceAnonymous ? { anonymous: true } : {}) }
  const destination: ConnectionConfig = dstEndpoint ? { endpoint: dstEndpoint } : {}
  const shared = sameEndpointUrl(srcEndpoint, dstEndpoint) && !o.sourceAnonymous
  return {
    connections: shared ? { adhoc: source } : { source, destination },
    jobs: {
      adhoc: shared
        ? { source: o.from!, destination: o.to!, connection: 'adhoc' }
        : { source: { kind: 's3', url: o.from!, connection: 'source' }, destination: { kind: 's3', url: o.to!, connection: 'destination' } },
    },
  }
}

/** The job options given as flags, and --include/--exclude. */
function cliOverrides(o: SelectionOptions): Partial<JobConfig> {
  const names = [...Object.keys(FLAG_OPTIONS), 'include', 'exclude'] as (keyof SelectionOptions)[]
  return Object.fromEntries(names.filter((n) => o[n] !== undefined).map((n) => [n, o[n]]))
}

/** autoMode(), fallback() and the checksum check always take part, unless the config brings its own instance. */
export function withDefaultPlugins(plugins: Plugin[]): Plugin[] {
  const defaults = [autoMode(), fallback(), checksumVerifier()].filter((d) => !plugins.some((p) => p.name === d.name))
  return [...plugins, ...defaults]
}

/**
 * The config as a run sees it, in Vite's order: load (or build the ad-hoc job) -> the plugins'
 * `config` patches -> the CLI's flags over every job -> validate and resolve -> pick the named
 * jobs and the shard -> the plugins' `configResolved`.
 */
export async function selectJobs(o: SelectionOptions): Promise<Selection> {
  let user: UserConfig
  let file: string | undefined
  if (o.from || o.to) {
    if (!o.from || !o.to) throw new ConfigError([`--${o.from ? 'to' : 'from'}: missing; an ad-hoc job needs both --from s3://bucket/prefix/ and --to s3://bucket/prefix/`])
    user = adhocConfig(o)
    const problems = validateConfig(user, BUILTIN_PLUGIN_OPTIONS).map((p) => p.replace('jobs.adhoc.source', '--from').replace('jobs.adhoc.destination', '--to'))
    if (problems.length) throw new ConfigError(problems)
  } else {
    // The loader (cosmiconfig, sucrase) is only needed for config files.
    const { loadConfig } = await import('../config/load.ts')
    const lakesyncModules = { lakesync: await import('../index.ts'), 'lakesync/plugins': await import('../../plugins/index.ts') }
    const env = o.env ?? (process.env.LAKESYNC_ENV || undefined)
    const loaded = await loadConfig({ file: o.config, lakesyncModules, context: { command: o.command ?? 'sync', ...(env ? { env } : {}) }, plugins: BUILTIN_PLUGIN_OPTIONS })
    if (!loaded) throw new ConfigError(['no lakesync config found in this directory'], 'run `lakesync init` to write one, pass --config FILE, or use --from/--to')
    user = loaded.config
    file = loaded.file
  }
  const plugins = new PluginContainer(withDefaultPlugins([...(user.plugins ?? []), ...(user.hooks ? [{ name: 'config hooks', ...user.hooks }] : [])]))
  user = await plugins.mergeConfig(user)
  for (const c of Object.values(user.connections ?? {})) {
    registerSecret(c.credentials?.secretAccessKey)
    registerSecret(c.credentials?.sessionToken)
  }
  const overrides = cliOverrides(o)
  const flagProblems = optionProblems(overrides, flagName, FLAG_OPTIONS)
  if (flagProblems.length) throw new ConfigError(flagProblems)
  const jobs = Object.fromEntries(Object.entries(user.jobs ?? {}).map(([name, job]) => [name, { ...job, ...overrides }]))
  const config = resolveConfig({ ...user, jobs }, file, withPluginOptions(plugins.plugins).table)
  const wanted = o.jobs ?? []
  const known = config.jobs.map((j) => j.name)
  const unknown = wanted.filter((n) => !known.includes(n))
  if (unknown.length) throw new ConfigError(unknown.map((n) => `job "${n}" is not defined${file ? ` in ${file}` : ''} (known: ${known.join(', ') || 'none'})`))
  if (!known.length) throw new ConfigError([`${file ?? 'config'}: defines no jobs; add one under jobs`])
  const selected = wanted.length ? config.jobs.filter((j) => wanted.includes(j.name)) : config.jobs
  const shard = resolveShard(o, selected.map((j) => j.name))
  const resolved = Object.freeze({ ...config, jobs: shard ? selected.map((j) => ({ ...j, shard })) : selected })
  await plugins.notify('configResolved', resolved)
  return { config: resolved, plugins }
}
