import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { Slots } from '../util/slots.ts'
import { describeS3Error } from '../storage/errors.ts'
import type { CopyItem, CopyOutcome, Engine, EngineContext, EngineSession } from './types.ts'

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
  open(ctx: EngineContext, onOutcome: (o: CopyOutcome) => void): EngineSession {
    const { job, destClient, signal } = ctx
    const slots = new Slots(job.concurrency)
    const copy = async (item: CopyItem): Promise<CopyOutcome> => {
      if (item.size > COPY_OBJECT_LIMIT) return { item, ok: false, engine: 'sdk', error: 'object is over 5 GiB, beyond CopyObject' }
      try {
        await destClient.send(
          new CopyObjectCommand({ Bucket: job.destination.bucket, Key: item.destKey, CopySource: encodeCopySource(job.source.bucket, item.key), MetadataDirective: 'COPY' }),
          { abortSignal: signal },
        )
        return { item, ok: true, engine: 'sdk' }
      } catch (error) {
        return { item, ok: false, engine: 'sdk', error: signal.aborted ? 'interrupted' : describeS3Error(error) }
      }
    }
    return {
      async submit(item) {
        await slots.take()
        copy(item).then(onOutcome).finally(() => slots.give())
      },
      close: () => slots.idle(),
    }
  },
}
