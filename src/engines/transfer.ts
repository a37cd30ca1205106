import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { createHash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { ResolvedJob } from '../api/config.ts'

/** Counts and hashes the bytes that pass, so a traditional copy knows their SHA-256 and length. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256')
  bytes = 0
  /** `metrics` gets every byte as it passes, so an interrupted or failed copy still counts what moved. */
  constructor(private readonly metrics?: { bytesThroughHost: number }) {
    super()
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.hash.update(chunk)
    this.bytes += chunk.length
    if (this.metrics) this.metrics.bytesThroughHost += chunk.length
    this.push(chunk)
    done()
  }
  digest(): string {
    return this.hash.digest('hex')
  }
}

export interface SourceObject {
  body: Readable
  meta: { ContentType?: string; Metadata?: Record<string, string>; ContentEncoding?: string; CacheControl?: string; ContentDisposition?: string; ContentLanguage?: string; Expires?: Date; Tagging?: string }
}

/**
 * GETs an object with the source connection; its metadata and tags travel with it to the
 * upload, as a server-side copy keeps them (tags cost one more request, only for tagged objects).
 */
export async function getSource(client: S3Client, job: ResolvedJob, key: string, signal: AbortSignal): Promise<SourceObject> {
  const r = await client.send(new GetObjectCommand({ Bucket: job.source.bucket, Key: key }), { abortSignal: signal })
  const { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition, ContentLanguage, Expires } = r
  const meta: SourceObject['meta'] = { ContentType, Metadata, ContentEncoding, CacheControl, ContentDisposition, ContentLanguage, Expires }
  if (r.TagCount) {
    try {
      const tags = await client.send(new GetObjectTaggingCommand({ Bucket: job.source.bucket, Key: key }), { abortSignal: signal })
      meta.Tagging = new URLSearchParams((tags.TagSet ?? []).map((t) => [t.Key!, t.Value ?? ''])).toString()
    } catch (error) {
      ;(r.Body as Readable).destroy()
      throw error
    }
  }
  return { body: r.Body as Readable, meta }
}

/** Memory per streamed multipart upload is about part size × (queue + 1); keep it small. */
export const STREAM_PART_SIZE = 16 * 1024 ** 2
const STREAM_QUEUE = 3

/**
 * Uploads a body of known size: one PutObject up to the part size, else a multipart Upload
 * (lib-storage) whose parts are aborted on failure, so nothing half-written is left behind.
 */
export async function upload(client: S3Client, job: ResolvedJob, key: string, body: Readable, size: number, meta: SourceObject['meta'], signal: AbortSignal): Promise<void> {
  const partSize = Math.max(Math.min(job.partSize, STREAM_PART_SIZE), Math.ceil(size / 10_000))
  const params = { Bucket: job.destination.bucket, Key: key, Body: body, ...meta }
  if (size <= partSize) {
    await client.send(new PutObjectCommand({ ...params, ContentLength: size }), { abortSignal: signal })
    return
  }
  const up = new Upload({ client, params, partSize, queueSize: STREAM_QUEUE, leavePartsOnError: false, abortController: abortControllerFor(signal) })
  await up.done()
}

function abortControllerFor(signal: AbortSignal): AbortController {
  const c = new AbortController()
  if (signal.aborted) c.abort()
  else signal.addEventListener('abort', () => c.abort(), { once: true })
  return c
}
