import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { forEachPool } from '../util/pool.ts'
import { describeS3Error } from '../storage/errors.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext } from './types.ts'

/** CopyObject's own limit; larger objects need multipart UploadPartCopy. */
export const COPY_OBJECT_LIMIT = 5 * 1024 ** 3

/** CopySource is "bucket/key" URL-encoded, keeping "/" between segments (RFC 3986 strict). */
export function encodeCopySource(bucket: string, key: string): string {
  const strict = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
  return `${bucket}/${key.split('/').map(strict).join('/')}`
}

/** Server-side copies through the SDK, one CopyObject each, `concurrency` in flight. */
export const sdkEngine: Engine = {
  name: 'sdk',
  accepts: () => true,
  async copy(items: CopyItem[], ctx: EngineContext): Promise<CopyOutcome[]> {
    const { job, destClient, signal } = ctx
    const outcomes: CopyOutcome[] = []
    await forEachPool(items, job.concurrency, async (item) => {
      if (item.size > COPY_OBJECT_LIMIT) {
        outcomes.push({ item, ok: false, engine: 'sdk', error: `object is over 5 GiB, beyond CopyObject` })
        return
      }
      try {
        await destClient.send(
          new CopyObjectCommand({
            Bucket: job.destination.bucket,
            Key: item.destKey,
            CopySource: encodeCopySource(job.source.bucket, item.key),
            MetadataDirective: 'COPY',
          }),
          { abortSignal: signal },
        )
        outcomes.push({ item, ok: true, engine: 'sdk' })
      } catch (error) {
        if (signal.aborted) throw error
        outcomes.push({ item, ok: false, engine: 'sdk', error: describeS3Error(error) })
      }
    }, signal)
    return outcomes
  },
}
