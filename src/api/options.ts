import { int } from '../util/numbers.ts'

/**
 * Every core job option, once. Its entry is the option's type, bounds, default and its one text
 * (`doc`): validation (src/config/validate.ts), the CLI flags, their help and their overrides
 * (src/cli/), the resolved defaults (src/config/resolve.ts) and the README's option table
 * (optionTable below; `npx tsx scripts/docs.ts` writes it, a unit test holds it) all read this
 * table. Adding an option is one entry here plus the code that uses it. Order is the order of
 * the flags in `--help` and of the README's rows. A plugin owns its own options the same way
 * (`Plugin.options`, e.g. checksums' `quarantine`).
 */
export const JOB_OPTIONS = {
  mode: { type: 'choice', choices: ['auto', 'direct', 'traditional'], default: 'auto', doc: 'direct: server-side copies only; traditional: the bytes pass through this host; auto: lakesync picks per job' },
  engine: { type: 'choice', choices: ['auto', 'lean', 's5cmd', 'sdk'], default: 'auto', doc: 'the direct-copy engine; auto takes lean' },
  concurrency: { type: 'integer', min: 1, max: 4096, doc: 'copies in flight, fixed (s5cmd workers or requests); unset: server-side copies adapt to what the destination takes (from 16 up to maxConcurrency, backing off on SlowDown), other engines take 64' },
  maxConcurrency: { type: 'integer', min: 1, max: 4096, default: 1024, doc: 'with concurrency unset: the most copies in flight the adaptive limit may reach (also held under the open-file limit)' },
  order: { type: 'choice', choices: ['spread', 'key'], default: 'spread', doc: 'the order a Binance job sends its copies in: spread takes them from 16 series folders in turn, so a backfill\'s requests spread over S3\'s partitions; key sends them series by series (the s5cmd engine, prefix jobs and printed plans always do)' },
  batchSize: { type: 'integer', min: 1, max: 100_000, default: 10_000, doc: 'plan items per s5cmd batch' },
  delete: { type: 'boolean', default: false, doc: 'delete destination objects absent at the source (never ones the filters exclude)' },
  maxDelete: { type: 'integer', min: 0, max: 100_000_000, default: 1000, doc: 'with delete: at most this many deletions per run; beyond it the run stops deleting and exits 1' },
  maxRps: { type: 'integer', min: 1, max: 100_000, doc: 'at most this many S3 requests per second, all engines together (default: no limit)' },
  traditional: { type: 'choice', choices: ['stream', 'staged'], default: 'stream', doc: 'how traditional copies move bytes: stream (the GET piped into the upload) or staged (a temp file)' },
  multipartThreshold: { type: 'integer', min: 5 * 1024 ** 2, max: 5 * 1024 ** 4, default: 5 * 1024 ** 3, doc: 'bytes above which objects are copied in parts (server-side: UploadPartCopy)' },
  partSize: { type: 'integer', min: 5 * 1024 ** 2, max: 5 * 1024 ** 3, default: 64 * 1024 ** 2, doc: 'bytes per part of a multipart copy or upload' },
  partConcurrency: { type: 'integer', min: 1, max: 64, default: 8, doc: 'parts in flight per multipart object' },
  verify: { type: 'choice', choices: ['none', 'size', 'checksum'], default: 'size', doc: 'what to check after copying: sizes, or also each zip\'s SHA-256 against its .CHECKSUM sidecar (the checksums plugin\'s check)' },
  retries: { type: 'integer', min: 0, max: 20, default: 8, doc: 'retries per object of throttled, 5xx and network failures, each after a backoff' },
  listConcurrency: { type: 'integer', min: 1, max: 256, default: 32, doc: 'listings in flight on each side: the series of a Binance selection, or the key ranges of a prefix bigger than its first pages; 1 lists sequentially' },
  journalSkips: { type: 'boolean', default: false, doc: 'a journal line per skipped item too (otherwise the job summary counts them)' },
  keepRuns: { type: 'integer', min: 1, max: 100_000, default: 30, doc: 'run journals kept per job; older ones are deleted after a run (also `lakesync runs --prune`)' },
} as const satisfies OptionTable

export type OptionSpec = { doc: string } & (
  | { type: 'choice'; choices: readonly string[]; default?: string }
  | { type: 'integer'; min: number; max: number; default?: number }
  | { type: 'boolean'; default?: boolean }
  /** A key prefix ending with "/". */
  | { type: 'prefix' }
)

/** Options by name: the core table, or a plugin's. */
export type OptionTable = Record<string, OptionSpec>

type Options = typeof JOB_OPTIONS
export type OptionName = keyof Options

type ValueOf<S> = S extends { choices: readonly (infer C)[] } ? C
  : S extends { type: 'integer' } ? number
  : S extends { type: 'boolean' } ? boolean
  : string

/** The values of a table's options as a config writes them: every one optional. */
export type ValuesOf<T extends OptionTable> = { -readonly [K in keyof T]?: ValueOf<T[K]> }

/**
 * The values of the options plugins own. Empty here: a plugin that declares options adds its
 * own by declaration merging, from its table (plugins/checksums-options.ts), so a config is typed for them.
 */
export interface PluginOptionValues {}

/** A job's options as a config writes them: every one optional. */
export type OptionValues = ValuesOf<Options> & PluginOptionValues

type WithDefault = { [K in OptionName]: Options[K] extends { default: unknown } ? K : never }[OptionName]

/** A job's options once resolved: the ones with a default always set. */
export type ResolvedOptions = { -readonly [K in WithDefault]: ValueOf<Options[K]> } & Omit<OptionValues, WithDefault>

/**
 * The options a run knows: the core table and the options of its plugins. A plugin's option may
 * not take a core option's name or another plugin's: each problem is said.
 */
export function withPluginOptions(plugins: readonly { name?: unknown; options?: unknown }[]): { table: OptionTable; owners: Record<string, string>; problems: string[] } {
  const table: OptionTable = { ...JOB_OPTIONS }
  const owners: Record<string, string> = {}
  const problems: string[] = []
  for (const plugin of plugins) {
    if (!plugin.options) continue
    const name = String(plugin.name)
    for (const [option, spec] of Object.entries(plugin.options as OptionTable)) {
      const taken = option in JOB_OPTIONS ? 'a core option' : owners[option] && owners[option] !== name ? `plugin "${owners[option]}"'s option` : undefined
      if (taken) problems.push(`plugin "${name}": its option "${option}" is ${taken}; name it otherwise`)
      else (table[option] = spec, (owners[option] = name))
    }
  }
  return { table, owners, problems }
}

/** The flag a CLI user types for an option: batchSize → --batch-size. */
export const flagName = (option: string) => `--${option.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`

const sizeText = (n: number) => (n >= 1024 ** 4 && n % 1024 ** 4 === 0 ? `${n / 1024 ** 4} TiB` : n >= 1024 ** 3 && n % 1024 ** 3 === 0 ? `${n / 1024 ** 3} GiB` : n >= 1024 ** 2 && n % 1024 ** 2 === 0 ? `${n / 1024 ** 2} MiB` : int(n))

/** An option's values and default in words, e.g. `1–1,024 (default 64)`, `auto (default), lean, s5cmd, sdk`; `to` joins a range. */
export function describeValues(name: string, spec: OptionSpec, to = '–'): string {
  const bytes = /^part|multipart/.test(name)
  const value = (n: number) => (bytes ? sizeText(n) : int(n))
  switch (spec.type) {
    case 'choice': return spec.choices.map((c) => `\`${c}\`${c === spec.default ? ' (default)' : ''}`).join(', ')
    case 'integer': return `${value(spec.min)}${to}${value(spec.max)}${spec.default !== undefined ? ` (default ${value(spec.default)})` : ''}`
    case 'boolean': return `\`true\` or \`false\` (default ${spec.default ? '`true`' : '`false`'})`
    case 'prefix': return 'a key prefix ending with `/`'
  }
}

/** The README's option table: one row per option, from its entry alone; a plugin's options say whose they are. */
export function optionTable(plugins: readonly { name: string; options?: OptionTable }[] = []): string {
  const { table, owners } = withPluginOptions(plugins)
  const rows = Object.entries(table).map(([name, spec]) => `| \`${name}\` | ${spec.doc}${owners[name] ? ` (plugin ${owners[name]})` : ''} | ${describeValues(name, spec)} |`)
  return ['| option | meaning | values |', '|---|---|---|', ...rows].join('\n')
}

/**
 * An option's `--help` text: its doc, and the range and default yargs does not show. Printable
 * ASCII only: yargs measures every help text at each start, and any other character loads
 * string-width's Unicode tables (~30 ms; scripts/lib/lazy-string-width.mjs).
 */
export function flagHelp(name: string, spec: OptionSpec): string {
  if (spec.type === 'integer') return `${spec.doc}; ${describeValues(name, spec, ' to ')}`
  if (spec.type === 'choice' && spec.default) return `${spec.doc} (default ${spec.default})`
  return spec.doc
}
