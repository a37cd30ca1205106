import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { ResolvedJob } from '../api/config.ts'
import type { CopyOutcome } from '../engines/types.ts'
import { encodeCopySource } from '../engines/copy-source.ts'
import { errorCode } from '../storage/errors.ts'
import { forEachPool } from '../util/pool.ts'

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

/** Takes a copy that failed its checksum out of its mirrored key: moved under the quarantine prefix, or deleted. */
export async function quarantine(client: S3Client, job: ResolvedJob, destKey: string, signal: AbortSignal): Promise<string> {
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

export interface ChecksumContext {
  job: ResolvedJob
  sourceClient: S3Client
  destClient: S3Client
  signal: AbortSignal
}

/**
 * Checks every copied zip that has a sidecar against it: the digest the copy reported
 * (CopyObject's SHA-256, or the hash of streamed bytes), else the one the server stored.
 * A mismatch fails the item and takes the copy out of its mirrored key.
 */
export async function verifyChecksums(ctx: ChecksumContext, outcomes: CopyOutcome[]): Promise<CopyOutcome[]> {
  const { job, signal } = ctx
  const result = new Map<CopyOutcome, CopyOutcome>()
  await forEachPool(outcomes, 16, async (o) => {
    if (!o.ok || !o.item.key.endsWith('.zip')) return
    const published = await readSidecar(ctx.sourceClient, job.source.bucket, o.item.key, signal)
    if (!published) return void result.set(o, { ...o, note: joinNote(o.note, 'no .CHECKSUM sidecar, not checksum-verified') })
    const actual = o.sha256 ?? (await storedSha256(ctx.destClient, job.destination.bucket, o.item.destKey, signal))
    if (!actual) return void result.set(o, { ...o, note: joinNote(o.note, 'the server keeps no SHA-256 for this copy, not checksum-verified') })
    if (actual === published) return void result.set(o, { ...o, note: joinNote(o.note, 'SHA-256 matches its sidecar') })
    const where = await quarantine(ctx.destClient, job, o.item.destKey, signal)
    result.set(o, { ...o, ok: false, code: 'ChecksumMismatch', error: `SHA-256 mismatch: the sidecar says ${published}, the copy has ${actual}; ${where}` })
  }, signal)
  return outcomes.map((o) => result.get(o) ?? o)
}

const joinNote = (a: string | undefined, b: string) => (a ? `${a}; ${b}` : b)
