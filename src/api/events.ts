import type { BenchReport } from './bench-report.ts'

/** One worker's part of a job: the `index`-th (0-based) of `count`, in the run named `runId`. */
export interface Shard {
  index: number
  count: number
  /** Names the run the shards belong to: `lakesync runs` groups their journals by it. */
  runId: string
}

/** Every event a run emits has one of these shapes; renderers and plugins subscribe. */
export type ItemAction = 'copied' | 'skipped' | 'failed' | 'planned' | 'deleted'

export interface ItemResult {
  job: string
  key: string
  destKey: string
  size: number
  /** The source object's ETag when it was planned. */
  etag?: string
  action: ItemAction
  /** Why it was copied or skipped (planner reason), or the error for failures. */
  reason: string
  engine?: string
  error?: string
  /** SHA-256 of the bytes, when a traditional copy saw them. */
  sha256?: string
}

export interface RequestCounts {
  [operation: string]: number
}

export interface JobSummary {
  job: string
  mode: string
  engine: string
  copied: number
  skipped: number
  failed: number
  /** Copies a dry run or plan would make. */
  planned: number
  /** Dry runs: planned copies whose source ETag is not a plain MD5 (multipart): their copies are checked by a listing, others by the copy's answer. */
  plannedUnproven?: number
  bytesCopied: number
  /** Bytes that passed through this host (0 for server-side copies). */
  bytesThroughHost: number
  requests: RequestCounts
  /** Objects copied by each engine (s5cmd and sdk copy server-side; stream and staged through the host). */
  engines: Record<string, number>
  /** With adaptive concurrency: the limit at the end and at its highest, and how often it backed off and why. */
  adaptive?: { limit: number; peak: number; backoffs: { throttled: number; latency: number } }
  /** Answers that said slow down (503 SlowDown), each attempt; each was retried after a backoff. */
  throttled?: number
  /** Most bytes held in local temp files at once (staged copies). */
  peakDiskBytes: number
  /** Peak resident memory of this process so far. */
  peakRssBytes: number
  /** Destination objects deleted as absent at the source (--delete); and whether --max-delete stopped it. */
  deleted: number
  /** Dry runs: deletions --delete would make (not counted in `planned`). */
  deletePlanned?: number
  deleteLimitReached?: boolean
  /** Set when the run was interrupted: copies whose outcome is unknown (answered OK but unconfirmed, or never answered). */
  interrupted?: { unconfirmed: number; noAnswer: number }
  /** Set when an error stopped the job after it began (a listing that failed, credentials refused): the error, said after the summary too. Open copies are counted in `interrupted`. */
  stopped?: string
  /** Copies whose SHA-256 did not match their sidecar (exit code 3). */
  mismatches: number
  /** Binance sources: files expected, missing at the source, and stray keys. */
  gaps?: { expected: number; missing: number; stray: number }
  seconds: number
  dryRun: boolean
  /** Counts of skip reasons and copy reasons. */
  reasons: Record<string, number>
  /** Dry runs of direct jobs: the request cost of lakesync's route and of S3 Batch Operations', and the prices used. */
  routes?: { lakesync: { requests: number; usd: number }; batchOps: { requests: number; usd: number }; prices: string }
  /** Dry runs of direct jobs between two AWS regions: the planned bytes' inter-region transfer (billed to the source bucket's owner). */
  crossRegion?: { from: string; to: string; bytes: number; perGB: number; usd: number }
}

/** A running job's figures, every second while it copies: what a watcher judges a run by. */
export interface JobProgress {
  job: string
  /** Since the job started. */
  seconds: number
  /** Source objects planned so far (copies and skips). */
  listed: number
  /** Copies planned so far (the total, once `listingDone`). */
  toCopy: number
  skipped: number
  /** Copies started and not yet final: sent, about to be sent, or waiting on their check. */
  inFlight: number
  /** Copies the server answered as done, checked or not yet. */
  answered: number
  /** Copies checked and final (the summary's `copied`). */
  copied: number
  failed: number
  bytesCopied: number
  /** The adaptive limit on copies in flight now (absent when the job's concurrency is fixed). */
  limit?: number
  /** Answers so far that said slow down (503 SlowDown), each attempt. */
  throttled: number
  /** Over the last few seconds, from answered copies. */
  objectsPerSecond: number
  bytesPerSecond: number
  listingDone: boolean
  /** Once the listing is done and copies are moving: the remaining copies at the current rate. */
  etaSeconds?: number
}

export type LakesyncEvent =
  | { type: 'job-start'; job: string; source: string; destination: string; shard?: Shard }
  | { type: 'decision'; job: string; mode: string; engine: string; reason: string }
  | ({ type: 'progress' } & JobProgress)
  | { type: 'batch-start'; job: string; batch: number; engine: string }
  | { type: 'batch-end'; job: string; batch: number; copied: number; failed: number; bytes: number; seconds: number }
  | ({ type: 'item' } & ItemResult)
  | { type: 'warning'; job?: string; message: string }
  | { type: 'gaps'; job: string; expected: number; missing: string[]; stray: string[] }
  | { type: 'bench-end'; report: BenchReport; out?: string }
  | ({ type: 'job-end' } & JobSummary)

export type EventOf<T extends LakesyncEvent['type']> = Extract<LakesyncEvent, { type: T }>
