import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { ResolvedJob } from '../config/types.ts'
import type { CopyOutcome } from '../engines/types.ts'
import { compareKeys } from '../storage/keys.ts'
import { errorCode } from '../storage/errors.ts'
import { forEachPool } from '../util/pool.ts'

/**
 * Nothing is reported copied unless the destination holds it with the source's size.
 * A window of copies is checked by listing the destination across the window's key range
 * (a page covers up to 1,000 keys); keys the listing budget did not reach are HEADed.
 */
export async function verifySizes(client: S3Client, job: ResolvedJob, outcomes: CopyOutcome[], signal: AbortSignal): Promise<CopyOutcome[]> {
  const sorted = [...outcomes].sort((a, b) => compareKeys(a.item.destKey, b.item.destKey))
  const sizes = new Map<string, number>()
  const last = sorted.at(-1)!.item.destKey
  // A proper prefix of the first key sorts just before it: listing starts at the window.
  let startAfter: string | undefined = sorted[0]!.item.destKey.slice(0, -1) || undefined
  let reached = ''
  const pages = sorted.length >= 20 ? Math.ceil(sorted.length / 1000) + 1 : 0
  for (let page = 0; page < pages; page++) {
    const r = await client.send(
      new ListObjectsV2Command({ Bucket: job.destination.bucket, Prefix: job.destination.prefix || undefined, StartAfter: startAfter }),
      { abortSignal: signal },
    )
    for (const o of r.Contents ?? []) sizes.set(o.Key!, o.Size ?? 0)
    reached = r.IsTruncated ? r.Contents?.at(-1)?.Key ?? reached : last
    if (!r.IsTruncated || compareKeys(reached, last) >= 0) {
      reached = last
      break
    }
    startAfter = reached
  }
  const unreached = sorted.filter((o) => !reached || compareKeys(o.item.destKey, reached) > 0)
  await forEachPool(unreached, 16, async (o) => {
    try {
      const h = await client.send(new HeadObjectCommand({ Bucket: job.destination.bucket, Key: o.item.destKey }), { abortSignal: signal })
      sizes.set(o.item.destKey, h.ContentLength ?? 0)
    } catch (error) {
      if (!['NotFound', 'NoSuchKey'].includes(errorCode(error) ?? '')) throw error
    }
  }, signal)
  return outcomes.map((o) => {
    const size = sizes.get(o.item.destKey)
    if (size === o.item.size) return o
    const error = size === undefined ? 'not at the destination after the copy' : `destination holds ${size} bytes, the source ${o.item.size}`
    return { ...o, ok: false, error, code: 'SizeMismatch' }
  })
}
