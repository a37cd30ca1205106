import type { S3Transport } from '../api/transport.ts'
import type { ResolvedJob } from '../api/config.ts'
import type { CopyOutcome } from '../engines/types.ts'
import { compareKeys, oddSegmentAt, pathAmbiguous, withoutLastCharacter } from '../storage/keys.ts'
import { sameEtag, singlePart } from '../storage/etags.ts'
import { forEachPool } from '../util/pool.ts'

/**
 * Nothing is reported copied unless the destination holds it with the source's size.
 * A copy whose answer gave the listed source's single-part ETag holds the same bytes (their
 * MD5) and needs no more. The other copies of a window (s5cmd's, multipart or encrypted ones, a
 * source changed since it was listed) are checked by listing the destination across their key
 * range (pages sized to them, up to 1,000 keys); keys the listing budget did not reach are HEADed.
 */
export async function verifySizes(dest: S3Transport, job: Sides, outcomes: CopyOutcome[], signal: AbortSignal, source?: S3Transport): Promise<CopyOutcome[]> {
  const unproven = outcomes.filter((o) => !provenByAnswer(o))
  if (!unproven.length) return outcomes
  const found = await destinationObjects(dest, job, unproven, signal)
  return Promise.all(outcomes.map(async (o) => {
    if (provenByAnswer(o)) return o
    const { size, etag } = found.get(o.item.destKey) ?? {}
    // The ETag seen tells the run's memory whether this destination's ETags are content hashes (s5cmd's answers carry none).
    if (size === o.item.size) return o.etag || !etag ? o : { ...o, etag }
    if (size !== undefined && source && (await sizeNow(source, job, o.item.key, signal)) === size) {
      return { item: o.item, ok: true, engine: o.engine, note: `the source changed during the run (listed at ${o.item.size} bytes, now ${size}): copied as it is now` }
    }
    const error = size !== undefined
      ? `destination holds ${size} bytes, the source ${o.item.size}`
      : pathAmbiguous(o.item.destKey)
        ? 'not at the destination under this exact key after the copy: a server that keeps keys as file paths may have stored it under another (an empty, "." or ".." segment, or a backslash)'
        : 'not at the destination after the copy'
    return { ...o, ok: false, error, code: 'SizeMismatch' }
  }))
}

/** The copy's answer names the bytes the source was listed with, under a key no server rewrites: no listing needs to prove it. */
export const provenByAnswer = (o: CopyOutcome) => o.etag !== undefined && singlePart(o.item.etag) && sameEtag(o.etag, o.item.etag) && !pathAmbiguous(o.item.destKey)

type Found = Map<string, { size: number; etag?: string }>

/** What the size check reads of a job: its two sides, and how many copies are in flight at once. */
type Sides = Pick<ResolvedJob, 'source' | 'destination' | 'concurrency'>

/** The size and ETag the destination holds for these copies' keys (a key it lacks has none). */
async function destinationObjects(dest: S3Transport, job: Sides, outcomes: CopyOutcome[], signal: AbortSignal): Promise<Found> {
  const sorted = [...outcomes].sort((a, b) => compareKeys(a.item.destKey, b.item.destKey))
  const sizes: Found = new Map()
  const last = sorted.at(-1)!.item.destKey
  // A proper prefix of the first key sorts just before it: listing starts at the window.
  let startAfter: string | undefined = withoutLastCharacter(sorted[0]!.item.destKey) || undefined
  let reached = ''
  // Pages sized to the window, so the server lists little beyond it: copies land in about key
  // order, give or take the copies in flight. Other keys in the range take the next pages.
  const pageSize = Math.min(1000, Math.ceil(sorted.length * 1.1) + job.concurrency)
  const pages = sorted.length >= 20 ? Math.ceil((2 * sorted.length) / pageSize) + 1 : 0
  for (let page = 0; page < pages; page++) {
    const r = await dest.listPage({ bucket: job.destination.bucket, prefix: job.destination.prefix, startAfter, maxKeys: pageSize }, signal)
    for (const o of r.objects) sizes.set(o.key, { size: o.size, etag: o.etag })
    reached = r.truncated ? r.objects.at(-1)?.key ?? reached : last
    if (!r.truncated || compareKeys(reached, last) >= 0) {
      reached = last
      break
    }
    startAfter = reached
  }
  const unreached = sorted.filter((o) => !reached || compareKeys(o.item.destKey, reached) > 0)
  await forEachPool(unreached, 16, async (o) => {
    if (pathAmbiguous(o.item.destKey)) return exactKeySize(dest, job, o.item.destKey, sizes, signal)
    const h = await dest.head(job.destination.bucket, o.item.destKey, signal)
    if (h) sizes.set(o.item.destKey, { size: h.size, ...(h.etag ? { etag: h.etag } : {}) })
  }, signal)
  return sizes
}

/**
 * The size of this exact key, from a listing that starts just before it under the folder above
 * its first odd segment: a HEAD, or a listing whose prefix holds the odd segment, may be answered
 * for the rewritten key (SeaweedFS echoes such a prefix back as the key).
 */
async function exactKeySize(dest: S3Transport, job: Sides, key: string, sizes: Found, signal: AbortSignal) {
  const folder = key.slice(0, oddSegmentAt(key))
  const r = await dest.listPage({ bucket: job.destination.bucket, prefix: folder, startAfter: withoutLastCharacter(key), maxKeys: 1 }, signal)
  const found = r.objects[0]
  if (found?.key === key) sizes.set(key, { size: found.size, etag: found.etag })
}

/**
 * The source object's size now (one HEAD, only after a size mismatch). When it equals the
 * copy's, the object was rewritten during the run and the copy holds it as it is now: a good
 * copy (the next run plans from the new listing), said as such; a retry would only fail the same way.
 */
function sizeNow(source: S3Transport, job: Sides, key: string, signal: AbortSignal): Promise<number | undefined> {
  return source.head(job.source.bucket, key, signal).then((h) => h?.size, () => undefined)
}
