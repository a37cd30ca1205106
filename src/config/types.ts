import type { Plugin, Hooks } from '../plugins/types.ts'
import type { BinanceSelector } from '../sources/binance.ts'

export type Mode = 'auto' | 'direct' | 'traditional'
export type EngineName = 'auto' | 's5cmd' | 'sdk'
export type VerifyLevel = 'none' | 'size' | 'checksum'

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
  /** Path-style addressing; on by default for custom endpoints. */
  pathStyle?: boolean
}

/** A bucket and prefix, optionally on a named connection. */
export interface S3Location {
  kind: 's3'
  url: string
  connection?: string
}

export type LocationInput = string | S3Location
export type SourceInput = LocationInput | BinanceSelector

export type TraditionalFlavor = 'stream' | 'staged'

export interface JobOptions {
  mode?: Mode
  engine?: EngineName
  /** How traditional copies move bytes: `stream` (GET piped into the upload) or `staged` (temp file). */
  traditional?: TraditionalFlavor
  /** Parallel copies (s5cmd workers or SDK requests in flight). */
  concurrency?: number
  verify?: VerifyLevel
  /** Plan items per s5cmd batch. */
  batchSize?: number
  /** Objects above this many bytes are copied in parts (server-side: UploadPartCopy). Default 5 GiB. */
  multipartThreshold?: number
  /** Part size for multipart copies and uploads. Default 64 MiB. */
  partSize?: number
  /** Parts in flight per multipart object. Default 8. */
  partConcurrency?: number
  /** Retries per object of throttled, 5xx and network failures (each after a backoff). Default 8. */
  retries?: number
  /** Where a copy that fails its checksum is moved (a prefix in the destination bucket); default: deleted. */
  quarantine?: string
  /** Delete destination objects absent at the source (never ones the filters exclude). */
  delete?: boolean
  /** With `delete`: at most this many deletions per run (default 1000); beyond it the run stops deleting and fails. */
  maxDelete?: number
  /** At most this many S3 requests per second, all engines together (default: no limit). */
  maxRps?: number
}

export interface JobConfig extends JobOptions {
  source: SourceInput
  destination: LocationInput
  /** Connection for both sides unless a side names its own. */
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

export interface ResolvedJob {
  name: string
  /** For a Binance source, `prefix` is the selection's root (data/{market}/{frequency}/{dataType}/). */
  source: ResolvedLocation & { binance?: BinanceSelector }
  /** The part of a source key that the destination key does not repeat. */
  stripPrefix: string
  keyMap?: (key: string) => string
  quarantine?: string
  /** Internal (bench samples): only source keys it accepts take part. */
  sourceFilter?: (key: string) => boolean
  destination: ResolvedLocation
  include: string[]
  exclude: string[]
  mode: Mode
  engine: EngineName
  traditional: TraditionalFlavor
  concurrency: number
  verify: VerifyLevel
  batchSize: number
  multipartThreshold: number
  partSize: number
  partConcurrency: number
  retries: number
  delete: boolean
  maxDelete: number
  maxRps?: number
}

export interface ResolvedConfig {
  readonly file?: string
  readonly jobs: readonly ResolvedJob[]
  readonly s5cmd?: string
}
