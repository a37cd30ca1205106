import type { AdaptiveLimit } from './adaptive-limit.ts'
import type { CopyNeeds, EngineCapabilities, ResolvedJob } from '../api/config.ts'
import type { PlanItem } from '../api/items.ts'
import type { RequestCounter } from '../storage/meters.ts'
import type { S3Transport } from '../api/transport.ts'
import type { SdkTransport } from '../storage/sdk-transport.ts'
import type { RateLimiter } from '../util/rate.ts'

export type CopyItem = Extract<PlanItem, { action: 'copy' }>

export interface CopyOutcome {
  item: CopyItem
  ok: boolean
  engine: string
  error?: string
  /** S3 error code (AccessDenied, SlowDown, ...) or network code, for retry and fallback decisions. */
  code?: string
  status?: number
  /** Object bytes that passed through this host (traditional copies). */
  bytesThroughHost?: number
  /** SHA-256 of the bytes, when the engine saw them (traditional copies). */
  sha256?: string
  /** The new object's ETag, as the server-side copy's answer gave it (lean and sdk engines), or as the size check's listing showed it. */
  etag?: string
  /** How the outcome came about when it is not the plain way, e.g. a rescue by another engine. */
  note?: string
  /** The failure is not this item's: every other item would fail the same way (no temp dir, say), so the job stops. */
  stopsJob?: true
}

export interface EngineContext {
  job: ResolvedJob
  signal: AbortSignal
  counter: RequestCounter
  /** The destination's transport: its principal reads the source for server-side copies. */
  dest: S3Transport
  /** The source's transport, for traditional copies that GET. */
  source: S3Transport
  /** Each side's transport through the SDK: the sdk engine's, and where the lean path declines. */
  sdk: { source: SdkTransport; dest: SdkTransport }
  /** Where staged copies write their temp files (default: the OS temp dir). */
  tempDir?: string
  /** Measures engines report as they go: object bytes that passed through this host, retries and interrupted copies included. */
  metrics: { peakDiskBytes: number; bytesThroughHost: number }
  /** --max-rps: engines that send requests outside the SDK (s5cmd) take a turn per request. */
  limiter?: RateLimiter
  /** What each copy must return for the plugins' checks: a server-side copy asks CopyObject for the SHA-256 when `sha256`. */
  needs: CopyNeeds
  /** The job's concurrency is not fixed: server-side copies keep this many in flight, as it adapts. */
  adaptive?: AdaptiveLimit
}

/** A stream of copies: items go in as they are planned, outcomes come out as they finish. */
export interface EngineSession {
  /** Takes one item; resolves when the engine can take the next (back-pressure). */
  submit(item: CopyItem): Promise<void>
  /** Ends the input; resolves once every submitted item has had its outcome. */
  close(): Promise<void>
}

/** Direct engines (s5cmd, sdk, lean) copy server-side; traditional ones (stream, staged) move the bytes. */
export interface Engine {
  readonly name: 's5cmd' | 'sdk' | 'lean' | 'stream' | 'staged'
  /** Whether this engine can carry the item unchanged; others go to the SDK engine. */
  accepts(item: CopyItem, job: Pick<ResolvedJob, 'multipartThreshold'>): boolean
  /** What the run may count on it for: the run and the plugins decide by these, not by its name. */
  readonly capabilities: EngineCapabilities
  open(ctx: EngineContext, onOutcome: (outcome: CopyOutcome) => void): EngineSession
}
