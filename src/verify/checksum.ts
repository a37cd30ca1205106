import { createHash } from 'node:crypto'
import type { S3Transport } from '../api/transport.ts'

export const SIDECAR = '.CHECKSUM'

/** A sidecar holds "<64 hex>  <name>" with or without a newline: the first token is the digest. */
export function parseSidecar(text: string): string | undefined {
  const token = text.trim().split(/\s+/)[0]?.toLowerCase()
  return token && /^[0-9a-f]{64}$/.test(token) ? token : undefined
}

/**
 * The digest a key's `.CHECKSUM` sidecar publishes, or undefined when there is none (the
 * archive lacks some). A checksum job reads a sidecar per zip: the lean transport sends that
 * GET itself (the SDK's request path cost ~1.4 ms of CPU each).
 */
export async function readSidecar(source: S3Transport, bucket: string, key: string, signal: AbortSignal): Promise<string | undefined> {
  const text = await source.getText(bucket, key + SIDECAR, signal)
  return text === undefined ? undefined : parseSidecar(text)
}

/** SHA-256 the server stored for an object (HEAD with checksum mode): no object bytes are read. */
export async function storedSha256(dest: S3Transport, bucket: string, key: string, signal: AbortSignal): Promise<string | undefined> {
  return (await dest.head(bucket, key, signal, { sha256: true }))?.sha256
}

/** SHA-256 of an object's bytes, read whole: for an audit where the server kept no digest. */
export async function readSha256(dest: S3Transport, bucket: string, key: string, signal: AbortSignal): Promise<string> {
  const { body } = await dest.getObject(bucket, key, signal)
  const hash = createHash('sha256')
  for await (const chunk of body) hash.update(chunk)
  return hash.digest('hex')
}

/** Takes a copy that failed its checksum out of its mirrored key: moved under `quarantine` (a prefix in its bucket), or deleted. */
export async function quarantineCopy(dest: S3Transport, job: { destination: { bucket: string }; quarantine?: string }, destKey: string, signal: AbortSignal): Promise<string> {
  const bucket = job.destination.bucket
  const remove = async () => {
    const [refused] = await dest.deleteObjects(bucket, [destKey], signal)
    if (refused) throw new Error(`could not delete s3://${bucket}/${destKey}: ${refused.error}`)
  }
  if (job.quarantine) {
    const target = job.quarantine + destKey
    await dest.copyObject({ bucket, key: destKey }, bucket, target, { signal })
    await remove()
    return `moved to s3://${bucket}/${target}`
  }
  await remove()
  return 'deleted from the destination'
}
