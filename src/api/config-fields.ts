import type { ConnectionConfig, JobConfig, JobOptions, PluginHooks, UserConfig } from './config.ts'

/**
 * The config's fields besides the job options (api/options.ts), once each, with their text:
 * validation's lists of known keys (config/validate.ts) and the README's field table
 * (scripts/docs.ts) read these. Each table is held to its TypeScript interface by `satisfies`:
 * a field added to an interface and not here, or the other way round, does not compile.
 */
type Fields<T> = { readonly [K in keyof Required<T>]: string }

export const TOP_FIELDS = {
  connections: 'named connections (below); a job or a side names one',
  jobs: 'the jobs, by name (below)',
  defaults: "job options for every job; a job's own win",
  s5cmd: 'path to the s5cmd binary (for `engine: s5cmd`)',
  hooks: 'hook functions: an anonymous plugin (see "Plugins")',
  plugins: 'plugins, in order (see "Plugins")',
} as const satisfies Fields<UserConfig>

export const CONNECTION_FIELDS = {
  endpoint: 'URL; without one, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` applies, as in the AWS SDK, else AWS',
  region: 'on AWS, found by the run when absent',
  profile: 'a profile of the shared AWS config and credentials files',
  credentials: '`{ accessKeyId, secretAccessKey, sessionToken? }` (prefer the environment or a profile)',
  anonymous: 'unsigned requests (a public bucket such as the Binance archive)',
  pathStyle: 'default: virtual-hosted on AWS, path-style elsewhere',
  service: 'a name shared by the regional endpoints of one S3-compatible cloud, so they copy server-side',
} as const satisfies Fields<ConnectionConfig>

type JobFieldsOnly = Omit<JobConfig, keyof JobOptions>
export const JOB_FIELDS = {
  source: "`'s3://bucket/prefix/'` (the prefix ends with `/`), `s3(url, { connection })`, or a Binance selection (`binance.archive({...})`)",
  destination: "`'s3://bucket/prefix/'` or `s3(url, { connection })`",
  connection: "the connection of both sides unless a side names one (a Binance selection reads through the archive's own); default: the AWS chain",
  include: 'glob list (picomatch, dotfiles included): only keys that match',
  exclude: 'glob list: keys that match are left out (and never deleted)',
  keyMap: "`(key) => destination key` (synchronous, a non-empty string), e.g. `binance.hiveKeys()`; the destination listing is then indexed in memory and the whole source mapped before the first copy: two source keys mapped to one destination key, or a bad result, stop the job with exit 2 and copy nothing",
} as const satisfies Fields<JobFieldsOnly>

export const HOOK_NAMES = Object.keys({
  config: 0, configResolved: 0, selectMode: 0, selectEngine: 0, copyNeeds: 0, onItemError: 0, verifyCopy: 0, onEvent: 0, afterItem: 0, afterJob: 0,
} as const satisfies Record<keyof PluginHooks, 0>) as (keyof PluginHooks)[]

/** The README's field table: the top-level fields, a connection's and a job's. */
export function fieldTable(): string {
  const rows = [
    ...Object.entries(TOP_FIELDS).map(([k, doc]) => `| \`${k}\` | ${doc} |`),
    ...Object.entries(CONNECTION_FIELDS).map(([k, doc]) => `| \`connections.NAME.${k}\` | ${doc} |`),
    ...Object.entries(JOB_FIELDS).map(([k, doc]) => `| \`jobs.NAME.${k}\` | ${doc} |`),
  ]
  return ['| field | meaning |', '|---|---|', ...rows].join('\n')
}
