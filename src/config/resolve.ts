import { ConfigError } from '../api/errors.ts'
import { JOB_OPTIONS, type OptionTable, type ResolvedOptions } from '../api/options.ts'
import { envEndpoint, hasUserinfo, redactUserinfo } from './endpoint.ts'
import { sameIdentity, sameService } from './service.ts'
import { parseS3Url, type BucketPrefix } from './location.ts'
import { BINANCE_BUCKET, BINANCE_CONNECTION } from '../sources/binance-layout.ts'
import { selectionRoot } from '../sources/binance.ts'
import type { BinanceSelector, ConnectionConfig, JobConfig, LocationInput, ResolvedConfig, ResolvedJob, ResolvedLocation, UserConfig } from '../api/config.ts'

/** Copies in flight of an engine that cannot adapt (s5cmd, traditional) when the job fixes none. */
export const FIXED_CONCURRENCY = 64

/** The defaults of a table's options. */
const defaultsOf = (table: OptionTable) => Object.fromEntries(Object.entries(table).flatMap(([name, spec]) => ('default' in spec ? [[name, spec.default]] : [])))

/** Every core option's default, from the option table. */
export const DEFAULTS = defaultsOf(JOB_OPTIONS) as ResolvedOptions

/** The connection used where a location names none: the AWS chain plus AWS_ENDPOINT_URL. */
export function defaultConnection(env = process.env): ConnectionConfig {
  return {
    ...(envEndpoint(env) ? { endpoint: envEndpoint(env)!.url } : {}),
    ...(env.AWS_REGION || env.AWS_DEFAULT_REGION ? { region: env.AWS_REGION || env.AWS_DEFAULT_REGION } : {}),
  }
}

/** Turns a validated user config into frozen jobs with every default applied (the plugins' options' too, from `options`). */
export function resolveConfig(config: UserConfig, file?: string, options: OptionTable = JOB_OPTIONS): ResolvedConfig {
  const defaults = options === JOB_OPTIONS ? DEFAULTS : defaultsOf(options)
  const connections = { default: defaultConnection(), ...config.connections }
  const jobs: ResolvedJob[] = []
  const problems: string[] = []
  const envEndpoint = connections.default?.endpoint
  if (envEndpoint && hasUserinfo(envEndpoint)) {
    problems.push(`AWS_ENDPOINT_URL: ${redactUserinfo(envEndpoint)}: an endpoint must not carry user:password; remove it and give credentials through AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile`)
  }
  for (const [name, job] of Object.entries(config.jobs ?? {})) {
    const resolved = resolveJob(name, job, config, connections, defaults)
    const overlap = overlapProblem(resolved)
    if (overlap) problems.push(`${file ? `${file}: ` : ''}jobs.${name}: ${overlap}`)
    if (resolved.delete && (resolved.source.binance || resolved.keyMap)) {
      problems.push(`${file ? `${file}: ` : ''}jobs.${name}.delete: deleting is for prefix-to-prefix jobs; a Binance selection or a keyMap cannot tell which destination objects it owns`)
    }
    jobs.push(Object.freeze(resolved))
  }
  if (problems.length) throw new ConfigError(problems)
  return Object.freeze({ file, jobs, s5cmd: config.s5cmd })
}

function resolveJob(name: string, job: JobConfig, config: UserConfig, connections: Record<string, ConnectionConfig>, defaults: Record<string, unknown>): ResolvedJob {
  const side = (loc: LocationInput): ResolvedLocation => {
    const url = typeof loc === 'string' ? loc : loc.url
    const named = typeof loc === 'string' ? undefined : loc.connection
    const connectionName = named ?? job.connection ?? 'default'
    const { bucket, prefix } = parseS3Url(url) as BucketPrefix
    return { bucket, prefix, connectionName, connection: connections[connectionName]! }
  }
  const source: ResolvedJob['source'] = typeof job.source !== 'string' && job.source.kind === 'binance'
    ? binanceSide(job.source, job.source.connection, connections)
    : side(job.source)
  const { source: _source, destination, connection: _connection, include, exclude, keyMap, ...own } = job
  // Defaults, then the config's defaults, then the job's own options (unset ones do not count).
  const options = { ...defaults, ...withoutUndefined(config.defaults ?? {}), ...withoutUndefined(own) } as ResolvedOptions
  const dest = side(destination)
  return {
    name,
    source,
    stripPrefix: source.binance ? '' : source.prefix,
    sameService: sameService(source.connection, dest.connection),
    sameIdentity: sameIdentity(source.connection, dest.connection),
    destination: dest,
    include: include ?? [],
    exclude: exclude ?? [],
    ...(keyMap ? { keyMap } : {}),
    ...options,
    concurrency: options.concurrency ?? FIXED_CONCURRENCY,
    adaptive: options.concurrency === undefined,
  }
}

/** The object without its undefined fields (they would hide the ones spread before it). */
export const withoutUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>

/**
 * A Binance selection lists under its root folder, on the connection it names, else the public
 * archive's (anonymous, in its own region): never the job's, which is the lake's.
 */
function binanceSide(sel: BinanceSelector, connectionName: string | undefined, connections: Record<string, ConnectionConfig>): ResolvedJob['source'] {
  return {
    bucket: sel.bucket ?? BINANCE_BUCKET,
    prefix: selectionRoot(sel),
    connectionName: connectionName ?? 'binance',
    connection: connectionName ? connections[connectionName]! : { ...BINANCE_CONNECTION },
    binance: sel,
  }
}

/** Copying a prefix into itself (or into a part of itself) would feed on its own output. */
function overlapProblem(job: Pick<ResolvedJob, 'source' | 'destination' | 'sameService'>): string | undefined {
  const { source: s, destination: d } = job
  if (s.bucket !== d.bucket || !job.sameService) return
  if (s.prefix === d.prefix) return `source and destination are the same place (s3://${s.bucket}/${s.prefix}); choose another destination prefix`
  if (d.prefix.startsWith(s.prefix)) return `destination s3://${d.bucket}/${d.prefix} lies inside the source s3://${s.bucket}/${s.prefix}, so it would copy into itself; choose a destination outside the source`
  if (s.prefix.startsWith(d.prefix)) return `source s3://${s.bucket}/${s.prefix} lies inside the destination s3://${d.bucket}/${d.prefix}; choose a destination that does not contain the source`
}
