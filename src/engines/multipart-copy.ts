import { forEachPool } from '../util/pool.ts'
import type { S3Transport } from '../api/transport.ts'
import type { CopyItem, EngineContext } from './types.ts'

/**
 * Server-side copy of a large object in parts: CreateMultipartUpload with the source's
 * content type and metadata, UploadPartCopy of byte ranges (`partConcurrency` at once, each
 * only while the source keeps the ETag it had), then Complete. Any failure aborts the upload
 * so no half-written object or part is left.
 */
export async function multipartCopy(item: CopyItem, ctx: EngineContext, dest: S3Transport): Promise<void> {
  const { job, signal } = ctx
  const bucket = job.destination.bucket
  const key = item.destKey
  const head = await ctx.source.head(job.source.bucket, item.key, signal)
  if (!head) throw Object.assign(new Error(`the source object is gone (deleted since it was listed)`), { name: 'NotFound' })
  const { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition } = head.meta
  const uploadId = await dest.createMultipart(bucket, key, { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition }, signal)
  try {
    const size = head.size
    // S3 allows at most 10,000 parts: grow the part size for very large objects.
    const partSize = Math.max(job.partSize, Math.ceil(size / 10_000))
    const ranges = Array.from({ length: Math.max(1, Math.ceil(size / partSize)) }, (_, i) => ({
      number: i + 1,
      range: `bytes=${i * partSize}-${Math.min(size, (i + 1) * partSize) - 1}`,
    }))
    const parts: { number: number; etag: string }[] = []
    const source = { bucket: job.source.bucket, key: item.key, ...(head.etag ? { ifMatch: head.etag } : {}) }
    await forEachPool(ranges, job.partConcurrency, async ({ number, range }) => {
      parts.push({ number, etag: await dest.uploadPartCopy({ ...source, range }, bucket, key, { uploadId, number }, signal) })
    }, signal)
    if (signal.aborted) throw new Error('interrupted')
    await dest.completeMultipart(bucket, key, uploadId, parts, signal)
  } catch (error) {
    await dest.abortMultipart(bucket, key, uploadId).catch(() => {})
    throw error
  }
}
