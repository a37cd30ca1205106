import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { pooledSession } from './pooled-session.ts'
import { classify, describeS3Error } from '../storage/errors.ts'
import { encodeCopySource } from './copy-source.ts'
import { multipartCopy } from './multipart-copy.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

/**
 * Server-side copies through the SDK with the destination's identity: CopyObject, or
 * multipart UploadPartCopy above the job's threshold; `concurrency` objects in flight.
 */
export const sdkEngine: Engine = {
  name: 'sdk',
  accepts: () => true,
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    return pooledSession(ctx.job.concurrency, (item) => sdkCopy(item, ctx), onOutcome)
  },
}

/** One server-side copy through the SDK (its retries, its error reading); the outcome never throws. */
export async function sdkCopy(item: CopyItem, ctx: EngineContext): Promise<CopyOutcome> {
  const { job, destClient, signal } = ctx
  try {
    if (item.size > job.multipartThreshold) await multipartCopy(item, ctx)
    else {
      // With checksum verification the server computes the copy's SHA-256 as it copies.
      const r = await destClient.send(
        new CopyObjectCommand({
          Bucket: job.destination.bucket, Key: item.destKey, CopySource: encodeCopySource(job.source.bucket, item.key), MetadataDirective: 'COPY',
          ...(job.verify === 'checksum' ? { ChecksumAlgorithm: 'SHA256' as const } : {}),
        }),
        { abortSignal: signal },
      )
      const { ETag: etag, ChecksumSHA256: sha } = r.CopyObjectResult ?? {}
      return { item, ok: true, engine: 'sdk', ...(etag ? { etag } : {}), ...(sha ? { sha256: Buffer.from(sha, 'base64').toString('hex') } : {}) }
    }
    return { item, ok: true, engine: 'sdk' }
  } catch (error) {
    return { item, ok: false, engine: 'sdk', error: signal.aborted ? 'interrupted' : describeS3Error(error), ...classify(error) }
  }
}
