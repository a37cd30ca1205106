import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3'
import { forEachPool } from '../util/pool.ts'
import { encodeCopySource } from './copy-source.ts'
import type { CopyItem, EngineContext } from './types.ts'

/**
 * Server-side copy of a large object in parts: CreateMultipartUpload with the source's
 * content type and metadata, UploadPartCopy of byte ranges (`partConcurrency` at once),
 * then Complete. Any failure aborts the upload so no half-written object or part is left.
 */
export async function multipartCopy(item: CopyItem, ctx: EngineContext): Promise<void> {
  const { job, destClient, signal } = ctx
  const Bucket = job.destination.bucket
  const Key = item.destKey
  const CopySource = encodeCopySource(job.source.bucket, item.key)
  const head = await ctx.sourceClient.send(new HeadObjectCommand({ Bucket: job.source.bucket, Key: item.key }), { abortSignal: signal })
  const { UploadId } = await destClient.send(
    new CreateMultipartUploadCommand({ Bucket, Key, ContentType: head.ContentType, Metadata: head.Metadata, ContentEncoding: head.ContentEncoding, CacheControl: head.CacheControl, ContentDisposition: head.ContentDisposition }),
    { abortSignal: signal },
  )
  try {
    const size = head.ContentLength ?? item.size
    // S3 allows at most 10,000 parts: grow the part size for very large objects.
    const partSize = Math.max(job.partSize, Math.ceil(size / 10_000))
    const ranges = Array.from({ length: Math.max(1, Math.ceil(size / partSize)) }, (_, i) => ({
      PartNumber: i + 1,
      range: `bytes=${i * partSize}-${Math.min(size, (i + 1) * partSize) - 1}`,
    }))
    const parts: CompletedPart[] = []
    await forEachPool(ranges, job.partConcurrency, async ({ PartNumber, range }) => {
      const r = await destClient.send(
        new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber, CopySource, CopySourceRange: range, CopySourceIfMatch: head.ETag }),
        { abortSignal: signal },
      )
      parts.push({ PartNumber, ETag: r.CopyPartResult?.ETag })
    }, signal)
    if (signal.aborted) throw new Error('interrupted')
    parts.sort((a, b) => a.PartNumber! - b.PartNumber!)
    await destClient.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }), { abortSignal: signal })
  } catch (error) {
    await destClient.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {})
    throw error
  }
}
