import type { S3Client } from '@aws-sdk/client-s3'
import type { S3Transport } from './transport.ts'
import type { ErrorClass } from './error-classes.ts'
import type { ItemResult, JobSummary, LakesyncEvent, Shard } from './events.ts'

export type { Shard }
import type { JOB_OPTIONS, OptionTable, OptionValues, ResolvedOptions } from './options.ts'

export type Market = 'spot' | 'futures/um' | 'futures/cm' | 'option'
export type Frequency = 'daily' | 'monthly'

/** A selection of the Binance archive: what a team wants, checked against the archive's layout. */
export interface BinanceSelector {
  kind: 'binance'
  market: Market
  frequency: Frequency
  dataType: string
  /** Symbol folders, or '*' for every symbol the archive lists. */
  symbols: string[] | '*'
  /** Kline types only: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1mo. */
  intervals?: string[]
  /** ISO date, 'today', 'yesterday' or '-30d'. Without `from`, gaps are counted from each series' first file. */
  from?: string
  /** Default 'yesterday'. */
  to?: string
  /** Copy the `.CHECKSUM` sidecars too (default true). */
  sidecars?: boolean
  /** The archive's bucket (default data.binance.vision); point `connection` at another server to test. */
  bucket?: string
  /** A connection name; default: the public archive, anonymous, ap-northeast-1. */
  connection?: string
}

export type BinanceOptions = Omit<BinanceSelector, 'kind'>

/** What a config function is called with: `defineConfig(({ command, env }) => ({ ... }))`. */
export interface ConfigContext {
  /** The command being run: sync, plan, verify, bench or doctor. */
  command: 'sync' | 'plan' | 'verify' | 'bench' | 'doctor'
  /** `--env NAME`, else LAKESYNC_ENV, else undefined: which of a team's settings (dev, staging, production) to use. */
  env?: string
}

export type Mode = (typeof JOB_OPTIONS.mode.choices)[number]
export type EngineName = (typeof JOB_OPTIONS.engine.choices)[number]
export type VerifyLevel = (typeof JOB_OPTIONS.verify.choices)[number]

/** How to reach one S3 endpoint with one identity. */
export interface ConnectionConfig {
  /** e.g. http://127.0.0.1:7070; omit for AWS. `AWS_ENDPOINT_URL` applies when absent. */
  endpoint?: string
  region?: string
  /** A profile of ~/.aws/config; otherwise the default AWS credential chain. */
  profile?: string
  /** Explicit credentials (prefer env or profile: never commit secrets). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  /** Unsigned requests, for public buckets such as data.binance.vision. */
  anonymous?: boolean
  /** Path-style addressing; on by default for endpoints other than AWS's own. */
  pathStyle?: boolean
  /**
   * The S3 service this endpoint belongs to, for S3-compatible clouds with regional endpoints:
   * connections naming one service copy server-side between each other. AWS needs none.
   */
  service?: string
}

/** A bucket and prefix, optionally on a named connection. */
export interface S3Location {
  kind: 's3'
  url: string
  connection?: string
}

export type LocationInput = string | S3Location
export type SourceInput = LocationInput | BinanceSelector

export type TraditionalFlavor = (typeof JOB_OPTIONS.traditional.choices)[number]

/** Job options (mode, engine, concurrency, verify, ...): each one's meaning, bounds and default are in src/api/options.ts. */
export type JobOptions = OptionValues

export interface JobConfig extends JobOptions {
  source: SourceInput
  destination: LocationInput
  /**
   * Connection for both sides unless a side names its own. A Binance selection reads the public
   * archive through its own connection (anonymous, ap-northeast-1) unless it names another, so
   * there this is the destination's.
   */
  connection?: string
  /** Globs matched against the key relative to the source prefix. */
  include?: string[]
  exclude?: string[]
  /**
   * Rewrites each source key into a destination key (relative to the destination prefix),
   * e.g. binance.hiveKeys(). Default: the key relative to the source prefix (for a Binance
   * source, the archive's whole key).
   */
  keyMap?: (key: string) => string
}

export interface UserConfig {
  connections?: Record<string, ConnectionConfig>
  jobs?: Record<string, JobConfig>
  /** Defaults for every job; a job's own options win. */
  defaults?: JobOptions
  /** Path to the s5cmd binary (else LAKESYNC_S5CMD, PATH, the checkout's .tools/bin). */
  s5cmd?: string
  hooks?: Hooks
  plugins?: Plugin[]
}

export interface ResolvedLocation {
  bucket: string
  prefix: string
  connectionName: string
  connection: ConnectionConfig
}

export interface ResolvedJob extends ResolvedOptions {
  name: string
  /** Copies in flight: the fixed number asked for, else 64 for the engines that cannot adapt (s5cmd, traditional). */
  concurrency: number
  /** `concurrency` was not set: server-side copies adapt their number in flight, up to `maxConcurrency`. */
  adaptive: boolean
  /** For a Binance source, `prefix` is the selection's root (data/{market}/{frequency}/{dataType}/). */
  source: ResolvedLocation & { binance?: BinanceSelector }
  /** The part of a source key that the destination key does not repeat. */
  stripPrefix: string
  /** Both sides on one S3 service (any region, any spelling of its endpoint): a server-side copy is possible at all. */
  sameService: boolean
  /** Both sides on one service with one identity: the copy reads the source as the listing does. */
  sameIdentity: boolean
  keyMap?: (key: string) => string
  /** Internal (bench samples): only source keys it accepts take part. */
  sourceFilter?: (key: string) => boolean
  destination: ResolvedLocation
  include: string[]
  exclude: string[]
  /** `--shard`: this run copies one part of the job (src/plan/shard.ts). */
  shard?: Shard
}

export interface ResolvedConfig {
  readonly file?: string
  readonly jobs: readonly ResolvedJob[]
  readonly s5cmd?: string
}

// Plugins: part of the config contract (a config lists them; their hooks see its jobs).

/** A hook is a function, or `{ order, handler }` to run before or after its siblings. */
export type Hook<F extends (...args: any[]) => any> =
  | F
  | { order?: 'pre' | 'post' | null; handler: F }

export interface ModeDecision {
  mode: Exclude<Mode, 'auto'>
  reason: string
}

export interface ModeContext {
  job: ResolvedJob
  /** Both sides on one S3 service (a server-side copy is possible at all). */
  sameService: boolean
  /** @deprecated the same as `sameService` (before regions, a service was one endpoint). */
  sameEndpoint: boolean
  /** Both sides use one identity, so the copy reads the source as the listing does: no probe needed. */
  sameIdentity: boolean
  /** The route in words: `one S3 service (AWS, ap-northeast-1 -> us-east-1)` or `two S3 services (…; …)`. */
  route: string
  s5cmdAvailable: boolean
  probe: {
    /** Whether the destination's identity may read the source (a server-side copy needs that). */
    destinationCanReadSource(): Promise<boolean>
  }
}

/** What a copy engine can do, for the run and for plugins choosing one (`selectEngine`). */
export interface EngineCapabilities {
  /** Copies server-side: no object byte passes through this host. */
  serverSide: boolean
  /**
   * A batch is one process of its own (s5cmd): each batch opens a session and ends it. Other
   * engines carry all of a run's batches in one session: no drain and no new connections between
   * batches, which are then only counts.
   */
  batchProcess: boolean
  /** A copy's answer carries the new object's ETag (and its SHA-256 when asked): a single-part copy proves its bytes by it. */
  answersWithEtag: boolean
  /** Sends its copy source form-encoded (a space as "+"): a server that reads it literally answers NoSuchKey, and the item goes to the direct route's engine. */
  formEncodedSource: boolean
}

/** The direct-copy engines a job may take. */
export type DirectEngineName = 'lean' | 's5cmd' | 'sdk'

/** What a `selectEngine` hook decides from: a direct job whose `engine` is `auto`. */
export interface EngineChoiceContext {
  job: ResolvedJob
  /** The engines it may take and what each can do; s5cmd only when found and able to reach both sides. */
  engines: Partial<Record<DirectEngineName, EngineCapabilities>>
  /** Why s5cmd is not among them, when it is not. */
  s5cmdMissing?: string
  /** What the job's copies must return for the plugins' checks (`copyNeeds`). */
  needs: CopyNeeds
}

export interface EngineDecision {
  engine: DirectEngineName
  reason: string
}

export type ItemErrorAction = 'retry' | 'fallback' | 'fail'

export interface ItemErrorContext {
  job: ResolvedJob
  key: string
  /** One line describing the failure. */
  error: string
  /** S3 error code (AccessDenied, SlowDown, NotImplemented, ...) or network code. */
  code?: string
  /** What the code means, by lakesync's one table of error codes (api/error-classes.ts): throttled, transient, network, noServerSideCopy, … */
  errorClasses: ErrorClass[]
  status?: number
  /** The engine that failed: s5cmd, sdk (direct) or stream, staged (traditional). */
  engine: string
  /** Earlier attempts of this item. */
  attempt: number
  /** The mode the job runs in, and the one its config asked for (auto allows falling back). */
  mode: Exclude<Mode, 'auto'>
  requestedMode: Mode
}

/** What a job's copies must return, for the plugins' checks. */
export interface CopyNeeds {
  /** The new object's SHA-256: server-side copies ask CopyObject for it (traditional copies hash the bytes anyway). */
  sha256?: boolean
}

/** A finished copy as verification sees it (a `verifyCopy` hook is called for those still ok). */
export interface CopyToVerify {
  readonly key: string
  readonly destKey: string
  readonly size: number
  /**
   * The copy's SHA-256 (hex) when the engine learned it: when a plugin's `copyNeeds` asks for it,
   * server-side copies ask the server for it; traditional copies hash the bytes as they stream.
   */
  readonly sha256?: string
  /** What earlier checks said of it, e.g. a rescue by another engine. */
  readonly note?: string
}

/**
 * A `verifyCopy` answer: fail the copy, or pass it with a note; nothing means the plugin had
 * nothing to check. `counted` is the short phrase `lakesync verify` counts the copy under
 * ("match their sidecar"); `details` are the facts behind a failure, for `--json` output.
 * During a sync a failed copy is already dealt with (quarantined); during `lakesync verify`
 * (`ctx.readOnly`) nothing is changed.
 */
export type CopyVerdict =
  | { fail: { code: string; error: string; details?: Record<string, string> } }
  | { note: string; counted?: string }

export interface VerifyContext {
  job: ResolvedJob
  signal: AbortSignal
  /**
   * `lakesync verify`: the destination is audited, not copied to. A check changes nothing (no
   * quarantine), checks whatever it can whatever the job's `verify` says, and may read the
   * bytes where the server kept no digest.
   */
  readOnly: boolean
  /** The job's two sides: the source one reads sidecars, the destination one the copies. */
  source: S3Transport
  dest: S3Transport
  /** @deprecated The SDK clients behind `source` and `dest`, for plugins written before the transports. */
  sourceClient: S3Client
  /** @deprecated See `sourceClient`. */
  destClient: S3Client
}

export interface PluginHooks {
  /** Sequential merge: each plugin may return a partial config merged over the previous one. */
  config: (config: UserConfig) => UserConfig | void | Promise<UserConfig | void>
  /**
   * Once the config is final (loaded, the plugins' `config` patches merged, the CLI's flags over
   * every job, validated once, jobs selected and sharded): what the run will do. Notify: all run.
   */
  configResolved: (config: ResolvedConfig) => void | Promise<void>
  /** First non-null wins. */
  selectMode: (ctx: ModeContext) => ModeDecision | null | undefined | Promise<ModeDecision | null | undefined>
  /** The direct-copy engine of a job whose `engine` is `auto`; first non-null wins (autoMode() takes lean). */
  selectEngine: (ctx: EngineChoiceContext) => EngineDecision | null | undefined | Promise<EngineDecision | null | undefined>
  /**
   * What each copy of the job must return for this plugin's checks (asked once per job, before
   * the engine is chosen). Merged: what any plugin asks for is asked of every copy.
   */
  copyNeeds: (job: ResolvedJob) => CopyNeeds | null | undefined
  /** First non-null wins. */
  onItemError: (
    ctx: ItemErrorContext,
  ) => ItemErrorAction | null | undefined | Promise<ItemErrorAction | null | undefined>
  /**
   * Called once per copy that passed the size check, in plugin order, up to 16 copies at a time:
   * each plugin sees the copy as the ones before it left it, and a failed copy goes no further.
   */
  verifyCopy: (copy: CopyToVerify, ctx: VerifyContext) => CopyVerdict | null | undefined | void | Promise<CopyVerdict | null | undefined | void>
  /** Notify hooks: all run; their return values are ignored. */
  onEvent: (event: LakesyncEvent) => void | Promise<void>
  afterItem: (result: ItemResult) => void | Promise<void>
  afterJob: (summary: JobSummary) => void | Promise<void>
}

export type HookName = keyof PluginHooks

export type Hooks = { [K in HookName]?: Hook<PluginHooks[K]> }

export interface Plugin extends Hooks {
  name: string
  /**
   * The job options this plugin owns, by the core table's rules (api/options.ts): a config's
   * `defaults` and jobs may set them, validated by these entries; lakesync's own plugins' are
   * also flags. Type them for configs by declaration merging into `PluginOptionValues`.
   */
  options?: OptionTable
  enforce?: 'pre' | 'post'
}
