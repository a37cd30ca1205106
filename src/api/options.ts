/**
 * Every job option, once. Its entry is the option's type, bounds, default and CLI text:
 * validation (src/config/validate.ts), the CLI flags and their overrides (src/cli/) and the
 * resolved defaults (src/config/resolve.ts) all read this table. Adding an option is one entry
 * here plus the code that uses it. Order is the order of the flags in `--help`.
 */
export const JOB_OPTIONS = {
  /** direct: server-side copies; traditional: bytes through this host; auto: lakesync picks. */
  mode: { type: 'choice', choices: ['auto', 'direct', 'traditional'], default: 'auto', flag: 'direct = server-side copies; traditional = bytes through this host; auto picks' },
  /** The direct-copy engine; auto takes s5cmd when it can carry the job. */
  engine: { type: 'choice', choices: ['auto', 's5cmd', 'sdk', 'lean'], default: 'auto', flag: 'direct-copy engine; auto takes lean (s5cmd: --engine s5cmd)' },
  /** Parallel copies (s5cmd workers or SDK requests in flight). */
  concurrency: { type: 'integer', min: 1, max: 1024, default: 64, flag: 'copies in flight (s5cmd workers or SDK requests)' },
  /** Plan items per s5cmd batch. */
  batchSize: { type: 'integer', min: 1, max: 100_000, default: 10_000, flag: 'plan items per s5cmd batch' },
  /** Delete destination objects absent at the source (never ones the filters exclude). */
  delete: { type: 'boolean', default: false, flag: 'delete destination objects absent at the source (never ones the filters exclude)' },
  /** With `delete`: at most this many deletions per run; beyond it the run stops deleting and fails. */
  maxDelete: { type: 'integer', min: 0, max: 100_000_000, default: 1000, flag: 'with --delete: stop after this many deletions, exit 1 (default 1000)' },
  /** At most this many S3 requests per second, all engines together (default: no limit). */
  maxRps: { type: 'integer', min: 1, max: 100_000, flag: 'at most this many S3 requests per second, all engines together' },
  /** How traditional copies move bytes: `stream` (GET piped into the upload) or `staged` (temp file). */
  traditional: { type: 'choice', choices: ['stream', 'staged'], default: 'stream', flag: 'traditional copies: stream (GET piped into the upload) or staged (temp file)' },
  /** Objects above this many bytes are copied in parts (server-side: UploadPartCopy). */
  multipartThreshold: { type: 'integer', min: 5 * 1024 ** 2, max: 5 * 1024 ** 4, default: 5 * 1024 ** 3, flag: 'bytes above which objects are copied in parts (default 5 GiB)' },
  /** Part size for multipart copies and uploads. */
  partSize: { type: 'integer', min: 5 * 1024 ** 2, max: 5 * 1024 ** 3, default: 64 * 1024 ** 2, flag: 'bytes per part of a multipart copy or upload (default 64 MiB)' },
  /** Parts in flight per multipart object. */
  partConcurrency: { type: 'integer', min: 1, max: 64, default: 8, flag: 'parts in flight per object (default 8)' },
  /** What to check after copying: sizes, or also each zip's SHA-256 against its `.CHECKSUM`. */
  verify: { type: 'choice', choices: ['none', 'size', 'checksum'], default: 'size', flag: 'what to check after copying' },
  /** Retries per object of throttled, 5xx and network failures (each after a backoff). */
  retries: { type: 'integer', min: 0, max: 20, default: 8, flag: 'retries per object of throttled, 5xx and network failures (default 8)' },
  /** Listings in flight on each side: the series of a Binance selection, or the key ranges of a prefix bigger than one page (1 lists sequentially). */
  listConcurrency: { type: 'integer', min: 1, max: 256, default: 32, flag: 'listings in flight on each side: Binance series, or key ranges of a large prefix (default 32)' },
  /** Write a journal line for every skipped item too (a run's journal otherwise holds the copied, failed and deleted ones, and counts the skips). */
  journalSkips: { type: 'boolean', default: false, flag: 'journal a line per skipped item too (default: skips are counted in the job summary)' },
  /** Run journals kept per job: older ones are deleted after each run (also `lakesync runs --prune`). */
  keepRuns: { type: 'integer', min: 1, max: 100_000, default: 30, flag: 'run journals kept per job; older ones are deleted after a run (default 30)' },
  /** Where a copy that fails its checksum is moved (a prefix in the destination bucket); default: deleted. */
  quarantine: { type: 'prefix', flag: 'with --verify checksum: move a mismatching copy under this destination prefix instead of deleting it' },
} as const satisfies Record<string, OptionSpec>

export type OptionSpec = { flag: string } & (
  | { type: 'choice'; choices: readonly string[]; default?: string }
  | { type: 'integer'; min: number; max: number; default?: number }
  | { type: 'boolean'; default?: boolean }
  /** A key prefix ending with "/". */
  | { type: 'prefix' }
)

type Options = typeof JOB_OPTIONS
export type OptionName = keyof Options

type ValueOf<S> = S extends { choices: readonly (infer C)[] } ? C
  : S extends { type: 'integer' } ? number
  : S extends { type: 'boolean' } ? boolean
  : string

/** A job's options as a config writes them: every one optional. */
export type OptionValues = { -readonly [K in OptionName]?: ValueOf<Options[K]> }

type WithDefault = { [K in OptionName]: Options[K] extends { default: unknown } ? K : never }[OptionName]

/** A job's options once resolved: the ones with a default always set. */
export type ResolvedOptions = { -readonly [K in WithDefault]: ValueOf<Options[K]> } & Omit<OptionValues, WithDefault>

/** The flag a CLI user types for an option: batchSize → --batch-size. */
export const flagName = (option: string) => `--${option.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`
