import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { ResolvedJob } from '../api/config.ts'
import { encodeCopySource } from '../engines/copy-source.ts'
import { errorCode } from '../storage/errors.ts'
import { LeanS3 } from '../storage/lean-s3.ts'
import { meteredRequest } from '../storage/client.ts'
import { stallSeconds } from '../util/env.ts'

export const SIDECAR = '.CHECKSUM'

/** A sidecar holds "<64 hex>  <name>" with or without a newline: the first token is the digest. */
export function parseSidecar(text: string): string | undefined {
  const token = text.trim().split(/\s+/)[0]?.toLowerCase()
  return token && /^[0-9a-f]{64}$/.test(token) ? token : undefined
}

export const base64ToHex = (b64: string) => Buffer.from(b64, 'base64').toString('hex')

/**
 * The digest a key's `.CHECKSUM` sidecar publishes, or undefined when there is none (the
 * archive lacks some). Read the lean way (one GET on a pooled socket: a checksum job reads a
 * sidecar per zip, and the SDK's request path cost ~1.4 ms of CPU each); anything but a plain
 * answer is asked again through the SDK, with its retries and error codes.
 */
export async function readSidecar(client: S3Client, bucket: string, key: string, signal: AbortSignal, o: { inFlight?: number } = {}): Promise<string | undefined> {
  const lean = await sidecarReader(client, bucket, signal, o.inFlight ?? 32)
  const answer = lean ? await meteredRequest(client, 'GetObject', () => lean.getText(key + SIDECAR, signal)) : undefined
  if (answer === 'missing') return undefined
  if (answer && 'text' in answer) return parseSidecar(answer.text)
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key + SIDECAR }), { abortSignal: signal })
    return parseSidecar(await r.Body!.transformToString())
  } catch (error) {
    if (['NoSuchKey', 'NotFound'].includes(errorCode(error) ?? '')) return undefined
    throw error
  }
}

/**
 * One lean reader per client and bucket, opened on first use with a socket for each read its
 * first caller keeps in flight; its idle sockets never hold the process open.
 */
const readers = new WeakMap<S3Client, Map<string, Promise<LeanS3 | undefined>>>()

function sidecarReader(client: S3Client, bucket: string, signal: AbortSignal, maxSockets: number): Promise<LeanS3 | undefined> {
  let byBucket = readers.get(client)
  if (!byBucket) readers.set(client, (byBucket = new Map()))
  let reader = byBucket.get(bucket)
  if (!reader) {
    reader = LeanS3.open(client, bucket, { maxSockets, timeoutMs: stallSeconds('LAKESYNC_SOCKET_TIMEOUT_SECONDS') * 1000, signal }).catch(() => undefined)
    byBucket.set(bucket, reader)
  }
  return reader
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
