import { pooledSession } from './pooled-session.ts'
import { classify, describeS3Error } from '../storage/errors.ts'
import { multipartCopy } from './multipart-copy.ts'
import type { S3Transport } from '../api/transport.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

/**
 * Server-side copies through the SDK with the destination's identity: CopyObject, or
 * multipart UploadPartCopy above the job's threshold; `concurrency` objects in flight.
 */
export const sdkEngine: Engine = {
  name: 'sdk',
  capabilities: { serverSide: true, batchProcess: false, answersWithEtag: true, formEncodedSource: false },
  accepts: () => true,
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    return pooledSession(ctx.adaptive ?? ctx.job.concurrency, (item) => serverSideCopy(item, ctx, ctx.sdk.dest, 'sdk'), onOutcome)
  },
}

/** One server-side copy through `transport` (the copy's engine is `engine`); the outcome never throws. */
export async function serverSideCopy(item: CopyItem, ctx: EngineContext, transport: S3Transport, engine: 'sdk' | 'lean'): Promise<CopyOutcome> {
  const { job, signal } = ctx
  try {
    if (item.size > job.multipartThreshold) {
      await multipartCopy(item, ctx, transport)
      return { item, ok: true, engine }
    }
    // Asked for, the server computes the copy's SHA-256 as it copies.
    const { sentBy, ...answer } = await transport.copyObject({ bucket: job.source.bucket, key: item.key }, job.destination.bucket, item.destKey, { sha256: ctx.needs.sha256 === true, signal })
    return { item, ok: true, engine: sentBy ?? engine, ...answer }
  } catch (error) {
    return { item, ok: false, engine, error: signal.aborted ? 'interrupted' : describeS3Error(error), ...classify(error) }
  }
}

