import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { Slots } from '../util/slots.ts'
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
    const { job, destClient, signal } = ctx
    const slots = new Slots(job.concurrency)
    const copy = async (item: CopyItem): Promise<CopyOutcome> => {
      try {
        if (item.size > job.multipartThreshold) await multipartCopy(item, ctx)
        else {
          await destClient.send(
            new CopyObjectCommand({ Bucket: job.destination.bucket, Key: item.destKey, CopySource: encodeCopySource(job.source.bucket, item.key), MetadataDirective: 'COPY' }),
            { abortSignal: signal },
          )
        }
        return { item, ok: true, engine: 'sdk' }
      } catch (error) {
        return { item, ok: false, engine: 'sdk', error: signal.aborted ? 'interrupted' : describeS3Error(error), ...classify(error) }
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
