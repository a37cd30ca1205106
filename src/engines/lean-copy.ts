import { LeanS3 } from '../storage/lean-s3.ts'
import { meteredRequest, SOCKET_HEADROOM } from '../storage/client.ts'
import { stallSeconds } from '../util/env.ts'
import { pooledSession } from './pooled-session.ts'
import { sdkCopy } from './sdk-copy.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

/**
 * Server-side copies like the sdk engine, each CopyObject sent the lean way (storage/lean-s3.ts):
 * a half to a quarter of the sdk engine's CPU per copy (docs/BENCHMARKS.md §8). Whatever the lean path declines (an error answer, a
 * timeout, an endpoint it does not handle) and copies above the multipart threshold go through
 * the SDK, so retries, error codes and fallbacks are the sdk engine's.
 */
export const leanEngine: Engine = {
  name: 'lean',
  accepts: () => true,
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    const { job } = ctx
    // An anonymous destination sends unsigned requests: the SDK's way.
    const lean = job.destination.connection.anonymous ? Promise.resolve(undefined) : LeanS3.open(ctx.destClient, job.destination.bucket, {
      endpoint: job.destination.connection.endpoint, maxSockets: job.concurrency + SOCKET_HEADROOM, timeoutMs: stallSeconds('LAKESYNC_SOCKET_TIMEOUT_SECONDS') * 1000, signal: ctx.signal,
    }).catch(() => undefined)
    const copy = async (item: CopyItem): Promise<CopyOutcome> => {
      const path = item.size > job.multipartThreshold ? undefined : await lean
      if (!path) return sdkCopy(item, ctx)
      // Counted and paced as the destination client's own requests.
      const answer = await meteredRequest(ctx.destClient, 'CopyObject', () => path.copyObject(job.source.bucket, item.key, item.destKey, { sha256: job.verify === 'checksum', signal: ctx.signal }))
      if (answer.ok) return { item, ok: true, engine: 'lean', ...(answer.etag ? { etag: answer.etag } : {}), ...(answer.sha256 ? { sha256: answer.sha256 } : {}) }
      if (ctx.signal.aborted) return { item, ok: false, engine: 'lean', error: 'interrupted' }
      return sdkCopy(item, ctx)
    }
    return pooledSession(job.concurrency, copy, onOutcome, async () => (await lean)?.destroy())
  },
}
