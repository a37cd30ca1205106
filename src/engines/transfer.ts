import { createHash } from 'node:crypto'
import { Transform, type Readable } from 'node:stream'
import type { ResolvedJob } from '../api/config.ts'
import type { ObjectMeta, S3Transport } from '../api/transport.ts'

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

/** Memory per streamed multipart upload is about part size × 4 (three parts in flight, storage/sdk-transport.ts, and one read); keep it small. */
export const STREAM_PART_SIZE = 16 * 1024 ** 2

/**
 * Uploads a body of known size: one PutObject up to the part size, else a multipart upload whose
 * parts are aborted on failure, so nothing half-written is left behind. S3 allows 10,000 parts.
 */
export async function upload(dest: S3Transport, job: Pick<ResolvedJob, 'destination' | 'partSize'>, key: string, body: Readable, size: number, meta: ObjectMeta, signal: AbortSignal): Promise<void> {
  const partSize = Math.max(Math.min(job.partSize, STREAM_PART_SIZE), Math.ceil(size / 10_000))
  await dest.putObject(job.destination.bucket, key, body, { size, partSize, meta, signal })
}
