import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { ResolvedJob } from '../api/config.ts'
import { encodeCopySource } from '../engines/copy-source.ts'
import { errorCode } from '../storage/errors.ts'

export const SIDECAR = '.CHECKSUM'

/** A sidecar holds "<64 hex>  <name>" with or without a newline: the first token is the digest. */
export function parseSidecar(text: string): string | undefined {
  const token = text.trim().split(/\s+/)[0]?.toLowerCase()
  return token && /^[0-9a-f]{64}$/.test(token) ? token : undefined
}

export const base64ToHex = (b64: string) => Buffer.from(b64, 'base64').toString('hex')

/** The digest a key's `.CHECKSUM` sidecar publishes, or undefined when there is none (the archive lacks some). */
export async function readSidecar(client: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key + SIDECAR }), { abortSignal: signal })
    return parseSidecar(await r.Body!.transformToString())
  } catch (error) {
    if (['NoSuchKey', 'NotFound'].includes(errorCode(error) ?? '')) return undefined
    throw error
  }
}

/** SHA-256 the server stored for an object (HEAD with checksum mode): no object bytes are read. */
export async function storedSha256(client: S3Client, bucket: string, key: string, signal: AbortSignal): Promise<string | undefined> {
  const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal: signal })
  return h.ChecksumSHA256 && !h.ChecksumSHA256.includes('-') ? base64ToHex(h.ChecksumSHA256) : undefined
}

/** Takes a copy that failed its checksum out of its mirrored key: moved under the job's quarantine prefix, or deleted. */
export async function quarantineCopy(client: S3Client, job: ResolvedJob, destKey: string, signal: AbortSignal): Promise<string> {
  const Bucket = job.destination.bucket
  if (job.quarantine) {
    const target = job.quarantine + destKey
    await client.send(new CopyObjectCommand({ Bucket, Key: target, CopySource: encodeCopySource(Bucket, destKey) }), { abortSignal: signal })
    await client.send(new DeleteObjectCommand({ Bucket, Key: destKey }), { abortSignal: signal })
    return `moved to s3://${Bucket}/${target}`
  }
  await client.send(new DeleteObjectCommand({ Bucket, Key: destKey }), { abortSignal: signal })
  return 'deleted from the destination'
}
